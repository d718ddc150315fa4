import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDecisionEvent } from '@decision-trace/model/testing';
import { createHmac } from 'node:crypto';
import {
  applyEvent,
  createRedactor,
  DEFAULT_REDACTION_SETTINGS,
  extractDecisionEvents,
  ATTR_DT_REDACTIONS,
  type AttributeValue,
  type Attributes,
  type DecisionEvent,
  isDoubleValue,
  noteIntegralDouble,
  type DecisionRecord,
  type ReadonlyAttributes,
  type ReadonlyResourceSpans,
  type ReadonlySpan,
  type RedactionSettings,
  type Span,
} from '../src/index.js';
import { request, span, spanEvent, spanId } from './span-builders.js';

const HASH_KEY = 'test-hash-key';
const hmac = (text: string) => createHmac('sha256', HASH_KEY).update(text).digest('hex');

function redactor(overrides: Partial<RedactionSettings> = {}) {
  return createRedactor({ ...DEFAULT_REDACTION_SETTINGS, hash_key: HASH_KEY, ...overrides });
}

/** Redacts one span's attributes (in a request) and returns the span as it comes out. */
function redactSpan(attributes: Attributes, overrides: Partial<RedactionSettings> = {}, extra: Partial<Span> = {}): ReadonlySpan {
  const input = request([span({ spanId: spanId(1), attributes, ...extra })]);
  return redactor(overrides).redactResourceSpans(input)[0]!.scopeSpans[0]!.spans[0]!;
}

function attributesOf(attributes: Attributes, overrides: Partial<RedactionSettings> = {}): ReadonlyAttributes {
  const { [ATTR_DT_REDACTIONS]: _note, ...rest } = redactSpan(attributes, overrides).attributes;
  return rest;
}

function noteOf(target: { attributes: ReadonlyAttributes }): Array<{ field: string; action: string }> {
  const note = target.attributes[ATTR_DT_REDACTIONS];
  return typeof note === 'string' ? (JSON.parse(note) as Array<{ field: string; action: string }>) : [];
}

function recordOf(resourceSpans: readonly ReadonlyResourceSpans[]): DecisionRecord {
  const events = extractDecisionEvents(resourceSpans);
  assert.equal(events.length, 1);
  return applyEvent(undefined, events[0]!);
}

describe('key rules', () => {
  test('exact key matches the whole path or its last dotted segments, case-insensitively', () => {
    const rules = [{ key: 'customer.email', action: 'mask' as const }];
    const out = attributesOf(
      { 'customer.email': 'a@b.io', 'decision.evidence.customer.email': 'c@d.io', 'Customer.EMAIL': 'e@f.io', 'xcustomer.email': 'keep', email: 'keep too' },
      { rules },
    );
    assert.equal(out['customer.email'], '***');
    assert.equal(out['decision.evidence.customer.email'], '***');
    assert.equal(out['Customer.EMAIL'], '***');
    assert.equal(out['xcustomer.email'], 'keep', 'only whole segments match');
    assert.equal(out.email, 'keep too');
    const caseSensitive = attributesOf({ 'Customer.EMAIL': 'e@f.io' }, { rules: [{ ...rules[0]!, ignore_case: false }] });
    assert.equal(caseSensitive['Customer.EMAIL'], 'e@f.io');
  });

  test('glob keys: * spans dots, ? is one character, the whole path must match', () => {
    const out = attributesOf(
      { 'user.ssn': '1', 'decision.evidence.user.ssn': '2', 'user.ss': '3', 'a1.phone': '4', 'ab1.phone': '5' },
      {
        rules: [
          { key_glob: '*.ssn', action: 'drop' },
          { key_glob: 'a?.phone', action: 'mask' },
        ],
      },
    );
    assert.deepEqual(out, { 'user.ss': '3', 'a1.phone': '***', 'ab1.phone': '5' });
  });

  test('regex keys are searched in the path', () => {
    const out = attributesOf({ 'payment.card.pan': '4111', 'order.card_count': 2, note: 'x' }, { rules: [{ key_regex: '^payment\\.card', action: 'mask' }] });
    assert.deepEqual(out, { 'payment.card.pan': '***', 'order.card_count': 2, note: 'x' });
  });

  test('the first matching rule wins; keep exempts a key from the rules after it, the defaults included', () => {
    const out = attributesOf(
      { 'decision.policy.auth': 'pass', 'session.token': 'tok-1', 'user.id': 'u-1' },
      {
        rules: [
          { key: 'decision.policy.auth', action: 'keep' },
          { key: 'session.token', action: 'hash' },
          { key_glob: '*', action: 'drop' },
        ],
      },
    );
    assert.deepEqual(out, { 'decision.policy.auth': 'pass', 'session.token': hmac('tok-1') });
  });
});

describe('actions', () => {
  test('drop removes the field, mask replaces the value, whatever its type', () => {
    const out = attributesOf(
      { a: 'x', b: 42, c: ['x', 'y'], d: { inner: 1 }, e: 'kept' },
      {
        rules: [
          { key: 'a', action: 'drop' },
          { key: 'b', action: 'mask' },
          { key: 'c', action: 'mask' },
          { key: 'd', action: 'drop' },
        ],
      },
    );
    assert.deepEqual(out, { b: '***', c: '***', e: 'kept' });
  });

  test('hash is HMAC-SHA256 with the configured key: stable, so joins on hashed ids still work', () => {
    const rules = [{ key: 'user.id', action: 'hash' as const }];
    const first = attributesOf({ 'user.id': 'u-42' }, { rules });
    const second = attributesOf({ 'user.id': 'u-42' }, { rules });
    assert.equal(first['user.id'], hmac('u-42'));
    assert.equal(second['user.id'], first['user.id']);
    assert.notEqual(attributesOf({ 'user.id': 'u-43' }, { rules })['user.id'], first['user.id']);
    const otherKey = attributesOf({ 'user.id': 'u-42' }, { rules, hash_key: 'another key' });
    assert.notEqual(otherKey['user.id'], first['user.id'], 'the key matters: a plain SHA-256 table cannot reverse it');
    assert.equal(attributesOf({ 'user.id': 1234 }, { rules })['user.id'], hmac('1234'), 'numbers hash as their text');
  });

  test('derive by key stores the derived value under a derived key and drops the original', () => {
    const out = attributesOf(
      {
        'decision.evidence.email': 'Jane.Doe@Example.COM',
        'client.ip': '203.0.113.77',
        'client.ip6': '2001:db8:85a3:1:2:8a2e:370:7334',
        'payment.card': '4111 1111 1111 1111',
      },
      {
        rules: [
          { key: 'email', action: 'derive', derive: 'email_domain' },
          { key_glob: 'client.ip*', action: 'derive', derive: 'ip_prefix' },
          { key: 'payment.card', action: 'derive', derive: 'card_last4' },
        ],
      },
    );
    assert.deepEqual(out, {
      'decision.evidence.email_domain': 'example.com',
      'client.ip_prefix': '203.0.113.0/24',
      'client.ip6_prefix': '2001:db8:85a3::/48',
      'payment.card_last4': '1111',
    });
  });

  test('derive fails closed: a value it cannot derive from is masked, and the note says mask', () => {
    const redacted = redactSpan({ 'user.email': 'not an address' }, { rules: [{ key: 'user.email', action: 'derive', derive: 'email_domain' }] });
    assert.equal(redacted.attributes['user.email'], '***');
    assert.deepEqual(noteOf(redacted), [{ field: 'user.email', action: 'mask' }]);
  });
});

describe('value rules', () => {
  test('value_regex replaces each occurrence inside strings; the rest of the text stays', () => {
    const out = attributesOf(
      { note: 'ssn 123-45-6789 and 987-65-4321', other: 'nothing here', count: 5 },
      { rules: [{ value_regex: '\\d{3}-\\d{2}-\\d{4}', action: 'mask' }] },
    );
    assert.deepEqual(out, { note: 'ssn *** and ***', other: 'nothing here', count: 5 });
  });

  test('a value rule with a key matcher applies only under matching keys', () => {
    const out = attributesOf(
      { 'http.url': 'https://x/?session=abc123', 'log.line': 'session=abc123' },
      { rules: [{ key: 'http.url', value_regex: 'session=[a-z0-9]+', action: 'hash' }] },
    );
    assert.equal(out['http.url'], `https://x/?${hmac('session=abc123')}`);
    assert.equal(out['log.line'], 'session=abc123');
  });

  test('value kinds find emails, IPs and card numbers anywhere; derive keeps only the derived part', () => {
    const out = attributesOf(
      {
        message: 'mail jane@example.com from 198.51.100.23 paid with 4242-4242-4242-4242',
        'customer.contact': 'jane@example.com',
        'order.id': '1234567812345678',
      },
      {
        rules: [
          { value_kind: 'email', action: 'derive' },
          { value_kind: 'ip', action: 'derive' },
          { value_kind: 'card_number', action: 'derive' },
        ],
      },
    );
    assert.equal(out.message, 'mail ***@example.com from 198.51.100.0/24 paid with ****4242');
    assert.equal(out['customer.contact_domain'], 'example.com', 'a whole-value match renames the key');
    assert.equal(out['order.id'], '1234567812345678', 'a number failing the Luhn check is no card');
  });

  test('numbers are matched as their text, so a card number sent as a number is caught', () => {
    const out = attributesOf({ pan: 4111111111111111 }, { rules: [{ value_kind: 'card_number', action: 'mask' }] });
    assert.equal(out.pan, '***');
  });

  test('a value rule that drops removes the field', () => {
    const out = attributesOf({ a: 'call 555-0100', b: 'fine' }, { rules: [{ value_regex: '555-\\d{4}', action: 'drop' }] });
    assert.deepEqual(out, { b: 'fine' });
  });
});

describe('default rules', () => {
  test('keys naming secrets are masked, case-insensitively, including camelCase and headers', () => {
    const secrets = [
      'password',
      'db.PASSWORD',
      'user_password_hash',
      'token',
      'access_token',
      'authToken',
      'client_secret',
      'api_key',
      'apiKey',
      'X-Api-Key',
      'http.request.header.authorization',
      'auth',
      'credentials',
      'aws.credential',
      'http.request.header.cookie',
      'private_key',
    ];
    const attributes: Attributes = {};
    for (const key of secrets) attributes[key] = 'value';
    const out = attributesOf(attributes);
    for (const key of secrets) assert.equal(out[key], '***', key);
  });

  test('token counts and similar keys survive (LLM usage must roll up)', () => {
    const harmless: Attributes = {
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'llm.token_count.prompt': 7,
      'gen_ai.request.max_tokens': 100,
      'decision.evidence.token_count': 3,
      'book.author': 'A. Writer',
      'decision.evidence.key': 'k',
    };
    assert.deepEqual(attributesOf(harmless), harmless);
  });

  test('secrets inside JSON-string values, nested kvlists and arrays are found', () => {
    const out = attributesOf({
      'decision.factors': JSON.stringify({ amount: 5, auth: { api_key: 'sk-1', scheme: 'key' }, list: [{ password: 'p' }] }),
      'request.body': { user: 'jane', credentials: { user: 'x', pass: 'y' } },
      headers: [{ name: 'a', token: 't' }],
    });
    assert.deepEqual(JSON.parse(out['decision.factors'] as string), { amount: 5, auth: '***', list: [{ password: '***' }] });
    assert.deepEqual(out['request.body'], { user: 'jane', credentials: '***' });
    assert.deepEqual(out.headers, [{ name: 'a', token: '***' }]);
  });

  test('the default action can drop or hash, and the defaults can be turned off', () => {
    assert.deepEqual(attributesOf({ api_key: 'k', a: 1 }, { default_rules: { enabled: true, action: 'drop' } }), { a: 1 });
    assert.deepEqual(attributesOf({ api_key: 'k' }, { default_rules: { enabled: true, action: 'hash' } }), { api_key: hmac('k') });
    assert.deepEqual(attributesOf({ api_key: 'k' }, { default_rules: { enabled: false, action: 'mask' } }), { api_key: 'k' });
  });
});

describe('allow-list mode', () => {
  test('fails closed: only listed keys (and the decision structure keys) survive', () => {
    const out = attributesOf(
      {
        'decision.type': 'refund.approve',
        'decision.outcome': 'approved',
        'decision.evidence.amount': 120,
        'decision.evidence.email': 'jane@example.com',
        'http.method': 'POST',
        'brand.new.attribute': 'never seen before',
      },
      { allow_list: { keys: ['decision.evidence.amount', 'http.*'], keep_decision_keys: true } },
    );
    assert.deepEqual(out, {
      'decision.type': 'refund.approve',
      'decision.outcome': 'approved',
      'decision.evidence.amount': 120,
      'http.method': 'POST',
    });
    const strict = attributesOf({ 'decision.type': 'x', 'http.method': 'GET' }, { allow_list: { keys: ['http.*'], keep_decision_keys: false } });
    assert.deepEqual(strict, { 'http.method': 'GET' });
  });

  test('allowed keys still go through the rules and the defaults', () => {
    const out = attributesOf({ 'app.api_key': 'k', 'app.name': 'n' }, { allow_list: { keys: ['app.*'], keep_decision_keys: true } });
    assert.deepEqual(out, { 'app.api_key': '***', 'app.name': 'n' });
  });
});

describe('truncation', () => {
  test('values longer than max_value_length are cut with a marker and noted', () => {
    const long = 'x'.repeat(5001);
    const redacted = redactSpan({ long, short: 'x'.repeat(5000) });
    assert.equal(redacted.attributes.long, `${'x'.repeat(5000)}…[truncated]`);
    assert.equal(redacted.attributes.short, 'x'.repeat(5000));
    assert.deepEqual(noteOf(redacted), [{ field: 'long', action: 'truncate' }]);
    assert.equal(redactSpan({ v: 'abcdef' }, { max_value_length: 4 }).attributes.v, 'abcd…[truncated]');
    assert.equal(redactSpan({ v: 'abcdef' }, { max_value_length: 0 }).attributes.v, 'abcdef', '0 turns it off');
  });

  test('a cut never splits a character made of two UTF-16 units', () => {
    const value = `abc${'😀'.repeat(3)}`;
    const cut = redactSpan({ v: value }, { max_value_length: 4 }).attributes.v as string;
    assert.equal(cut, 'abc…[truncated]');
    assert.ok(Buffer.from(cut, 'utf8').toString('utf8') === cut);
  });

  test('JSON strings are cut value by value, so the JSON stays valid', () => {
    const factors = JSON.stringify({ reason: 'y'.repeat(60), ok: true, tags: ['z'.repeat(55)] });
    const redacted = redactSpan({ 'decision.factors': factors }, { max_value_length: 50 });
    assert.deepEqual(JSON.parse(redacted.attributes['decision.factors'] as string), {
      reason: `${'y'.repeat(50)}…[truncated]`,
      ok: true,
      tags: [`${'z'.repeat(50)}…[truncated]`],
    });
    assert.deepEqual(noteOf(redacted), [
      { field: 'decision.factors.reason', action: 'truncate' },
      { field: 'decision.factors.tags', action: 'truncate' },
    ]);
    const short = JSON.stringify({ reason: 'y'.repeat(30), ok: true });
    assert.equal(
      redactSpan({ 'decision.factors': short }, { max_value_length: 40 }).attributes['decision.factors'],
      short,
      'untouched text is kept as written',
    );
  });
});

describe('trace data', () => {
  test('resource, span-event and link attributes and the status message are redacted, each noted where it was', () => {
    const input = request(
      [
        span({
          spanId: spanId(1),
          attributes: { 'decision.type': 'refund.approve', 'decision.evidence.api_key': 'sk-live' },
          events: [spanEvent('decision', { 'decision.type': 'notify.channel', password: 'hunter2' })],
          links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: '', attributes: { secret: 's' }, droppedAttributesCount: 0, flags: 0 }],
          status: { code: 2, message: 'refused for jane@example.com' },
        }),
      ],
      { 'service.name': 'refunds', 'deploy.token': 't' },
    );
    const out = redactor({ rules: [{ value_kind: 'email', action: 'derive' }] }).redactResourceSpans(input)[0]!;
    const redactedSpan = out.scopeSpans[0]!.spans[0]!;
    assert.equal(out.resource.attributes['deploy.token'], '***');
    assert.deepEqual(noteOf(out.resource), [{ field: 'resource.deploy.token', action: 'mask' }]);
    assert.equal(redactedSpan.events[0]!.attributes.password, '***');
    assert.deepEqual(noteOf(redactedSpan.events[0]!), [{ field: 'password', action: 'mask' }]);
    assert.equal(redactedSpan.links[0]!.attributes.secret, '***');
    assert.equal(redactedSpan.status.message, 'refused for ***@example.com');
    assert.deepEqual(noteOf(redactedSpan), [
      { field: 'decision.evidence.api_key', action: 'mask' },
      { field: 'link.secret', action: 'mask' },
      { field: 'status.message', action: 'derive' },
    ]);
  });

  test('the input is never modified, and untouched data is returned as the same objects', () => {
    const clean = span({ spanId: spanId(2), attributes: { 'http.method': 'GET' } });
    const dirty = span({ spanId: spanId(3), attributes: { password: 'p' } });
    const input = request([clean, dirty]);
    const snapshot = structuredClone(input);
    const out = redactor().redactResourceSpans(input);
    assert.deepEqual(input, snapshot, 'another pipeline may share these spans');
    assert.equal(out[0]!.scopeSpans[0]!.spans[0], clean);
    assert.notEqual(out[0]!.scopeSpans[0]!.spans[1], dirty);
    const untouched = request([clean]);
    assert.equal(redactor().redactResourceSpans(untouched), untouched);
  });

  test('a second pass (a second processor) adds to the note instead of replacing it', () => {
    const once = redactor().redactResourceSpans(request([span({ spanId: spanId(1), attributes: { password: 'p', email: 'a@b.io' } })]));
    const twice = redactor({ default_rules: { enabled: false, action: 'mask' }, rules: [{ key: 'email', action: 'drop' }] }).redactResourceSpans(once);
    assert.deepEqual(noteOf(twice[0]!.scopeSpans[0]!.spans[0]!), [
      { field: 'password', action: 'mask' },
      { field: 'email', action: 'drop' },
    ]);
  });
});

describe('records', () => {
  test('the decision record lists the redacted fields and actions, never the values', () => {
    const input = request(
      [
        span({
          spanId: spanId(1),
          attributes: {
            'decision.type': 'refund.approve',
            'decision.outcome': 'approved',
            'decision.evidence.customer_email': 'jane@example.com',
            'decision.evidence.api_key': 'sk-live-123',
            'decision.evidence.note': 'z'.repeat(20),
          },
        }),
      ],
      { 'service.name': 'refunds', 'host.secret': 'hs' },
    );
    const redacted = redactor({ rules: [{ key: 'customer_email', action: 'derive', derive: 'email_domain' }], max_value_length: 16 }).redactResourceSpans(
      input,
    );
    const record = recordOf(redacted);
    assert.deepEqual(record.evidence, { customer_email_domain: 'example.com', api_key: '***', note: `${'z'.repeat(16)}…[truncated]` });
    assert.deepEqual(record.redactions, [
      { field: 'resource.host.secret', action: 'mask' },
      { field: 'decision.evidence.customer_email', action: 'derive' },
      { field: 'decision.evidence.api_key', action: 'mask' },
      { field: 'decision.evidence.note', action: 'truncate' },
    ]);
    const json = JSON.stringify(record);
    assert.ok(!json.includes('jane@') && !json.includes('sk-live') && !json.includes('hs"'));
  });

  test('a span-event decision carries its own event note (and the resource note), not its span note', () => {
    const input = request([
      span({
        spanId: spanId(1),
        attributes: { 'http.request.header.authorization': 'Bearer x' },
        events: [spanEvent('decision', { 'decision.type': 'notify.channel', 'decision.evidence.token': 't' })],
      }),
    ]);
    const record = recordOf(redactor().redactResourceSpans(input));
    assert.deepEqual(record.redactions, [{ field: 'decision.evidence.token', action: 'mask' }]);
  });

  test('no redaction, no redactions on the record', () => {
    const record = recordOf(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'refund.approve' } })]));
    assert.deepEqual(record.redactions, []);
  });
});

describe('decision events already extracted', () => {
  function event(payload: Record<string, unknown>, overrides: Partial<DecisionEvent> = {}): DecisionEvent {
    return makeDecisionEvent({
      event_id: 'e-1',
      decision_id: 'd-1',
      decision_type: 'refund.approve',
      actor: { id: 'jane@example.com', type: 'human', version: null, org: null },
      payload,
      source: 'api.events',
      ...overrides,
    });
  }

  test('payload fields are matched under their span attribute names, so one rule set means the same after decision', () => {
    const rules: RedactionSettings['rules'] = [
      { key: 'decision.evidence.customer_email', action: 'derive', derive: 'email_domain' },
      { key: 'decision.actor.id', action: 'hash' },
      { key: 'decision.policy.kyc.inputs', action: 'drop' },
    ];
    const input = event({
      outcome: 'approved',
      evidence: { customer_email: 'jane@example.com', amount: 5, api_key: 'sk' },
      policy_checks: [{ policy: 'kyc', result: 'pass', inputs: { passport: 'X1' } }],
      factors: { token: 't', risk: 'low' },
    });
    const out = redactor({ rules }).redactDecisionEvent(input);
    assert.deepEqual(out.payload, {
      outcome: 'approved',
      evidence: { customer_email_domain: 'example.com', amount: 5, api_key: '***' },
      policy_checks: [{ policy: 'kyc', result: 'pass' }],
      factors: { token: '***', risk: 'low' },
    });
    assert.equal(out.actor!.id, hmac('jane@example.com'));
    assert.deepEqual(out.redactions, [
      { field: 'decision.evidence.customer_email', action: 'derive' },
      { field: 'decision.evidence.api_key', action: 'mask' },
      { field: 'decision.policy.kyc.inputs', action: 'drop' },
      { field: 'decision.factors.token', action: 'mask' },
      { field: 'decision.actor.id', action: 'hash' },
    ]);
    assert.equal(input.payload.evidence && (input.payload.evidence as Record<string, unknown>).customer_email, 'jane@example.com', 'input untouched');
    const clean = event({ outcome: 'approved' }, { actor: null });
    assert.equal(redactor().redactDecisionEvent(clean), clean);
  });

  test('canonical evidence and policy_check events: the value is redacted under its key, a derived key is renamed', () => {
    const rules: RedactionSettings['rules'] = [{ key: 'email', action: 'derive', derive: 'email_domain' }];
    const evidence = redactor({ rules }).redactDecisionEvent(
      event({ key: 'email', value: 'jane@example.com' }, { event_type: 'decision.evidence', actor: null }),
    );
    assert.deepEqual(evidence.payload, { key: 'email_domain', value: 'example.com' });
    const check = redactor().redactDecisionEvent(
      event({ policy: 'login', result: 'pass', inputs: { password: 'p' } }, { event_type: 'decision.policy_check', actor: null }),
    );
    assert.deepEqual(check.payload, { policy: 'login', result: 'pass', inputs: { password: '***' } });
    assert.deepEqual(check.redactions, [{ field: 'decision.policy.login.inputs.password', action: 'mask' }]);
  });

  test('allow-list mode drops unlisted evidence and policy checks of existing events', () => {
    const out = redactor({ allow_list: { keys: ['decision.evidence.amount'], keep_decision_keys: true } }).redactDecisionEvent(
      event({ outcome: 'approved', evidence: { amount: 5, email: 'x@y.io' }, policy_checks: [{ policy: 'kyc', result: 'pass' }] }),
    );
    assert.deepEqual(out.payload, { outcome: 'approved', evidence: { amount: 5 }, policy_checks: [] });
    assert.equal(out.actor!.id, null);
  });
});

describe('malformed JSON strings', () => {
  test('a key rule matching any word of a malformed JSON text masks the whole value, noted at the attribute', () => {
    const span = redactSpan(
      {
        'decision.factors': '{"password":"hunter2",}',
        'cut.short': '{"api_key": "sk-live-1", "note": "x"',
        escaped: '{"\\u0070assword": "hunter2" "x"}',
        'single.quoted': "{'ssn': '078-05-1120'}",
      },
      { rules: [{ key: 'ssn', action: 'drop' }] },
    );
    assert.equal(span.attributes['decision.factors'], '***');
    assert.equal(span.attributes['cut.short'], '***', 'a JSON text cut short is malformed JSON too');
    assert.equal(span.attributes.escaped, '***', 'an escaped key is still the key');
    assert.equal('single.quoted' in span.attributes, false, 'the matching rule decides the action: drop');
    assert.deepEqual(noteOf(span), [
      { field: 'decision.factors', action: 'mask' },
      { field: 'cut.short', action: 'mask' },
      { field: 'escaped', action: 'mask' },
      { field: 'single.quoted', action: 'drop' },
    ]);
  });

  test('hash hashes the whole malformed text; a keep rule does not count; without a key match value rules still apply', () => {
    const text = '{"user": {"token": "t-1"},}';
    const hashed = attributesOf({ 'decision.factors': text }, { default_rules: { enabled: true, action: 'hash' } });
    assert.equal(hashed['decision.factors'], hmac(text));
    const kept = attributesOf({ 'decision.factors': '{"token": 1,}' }, { rules: [{ key: 'token', action: 'keep' }] });
    assert.equal(kept['decision.factors'], '{"token": 1,}');
    const plain = attributesOf({ 'decision.factors': '{"note": "mail jane@example.com",}' }, { rules: [{ value_kind: 'email', action: 'mask' }] });
    assert.equal(plain['decision.factors'], '{"note": "mail ***",}');
  });

  test('the record keeps no raw value of a malformed JSON string (the decision processor flags what is left)', () => {
    const record = recordOf(
      redactor().redactResourceSpans(
        request([span({ spanId: spanId(1), attributes: { 'decision.type': 'refund.approve', 'decision.factors': '{"password":"hunter2",}' } })]),
      ),
    );
    assert.equal(JSON.stringify(record).includes('hunter2'), false, JSON.stringify(record));
    assert.deepEqual(record.redactions, [{ field: 'decision.factors', action: 'mask' }]);
  });
});

describe('scope attributes and trace state', () => {
  test('scope attributes are redacted and noted on the scope as scope.<key>', () => {
    const input = request([span({ spanId: spanId(1), attributes: { ok: 1 } })]);
    input[0]!.scopeSpans[0]!.scope.attributes = { 'library.api_key': 'sk-scope', 'library.kind': 'http' };
    const out = redactor().redactResourceSpans(input)[0]!.scopeSpans[0]!;
    assert.equal(out.scope.attributes['library.api_key'], '***');
    assert.equal(out.scope.attributes['library.kind'], 'http');
    assert.deepEqual(noteOf(out.scope), [{ field: 'scope.library.api_key', action: 'mask' }]);
    assert.equal(out.scope.name, 'refund-instrumentation');
    assert.equal(input[0]!.scopeSpans[0]!.scope.attributes['library.api_key'], 'sk-scope', 'input untouched');
  });

  test('trace_state members are fields at trace_state.<key>: key rules, value rules, drop and derive keep a valid header', () => {
    const out = redactSpan(
      { ok: 1 },
      {
        rules: [
          { key: 'trace_state.ssn', action: 'drop' },
          { key: 'mail', action: 'derive', derive: 'email_domain' },
          { value_kind: 'ip', action: 'mask' },
        ],
      },
      {
        traceState: 'congo=t61rcWkgMzE,session_id=abc123,ssn=078-05-1120,mail=jane@example.com,rojo@vendor=from 10.1.2.3',
        links: [{ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: 'auth=Bearer xyz', attributes: {}, droppedAttributesCount: 0, flags: 0 }],
      },
    );
    assert.equal(out.traceState, 'congo=t61rcWkgMzE,session_id=***,mail_domain=example.com,rojo@vendor=from ***');
    assert.equal(out.links[0]!.traceState, 'auth=***');
    assert.deepEqual(noteOf(out), [
      { field: 'trace_state.session_id', action: 'mask' },
      { field: 'trace_state.ssn', action: 'drop' },
      { field: 'trace_state.mail', action: 'derive' },
      { field: 'trace_state.rojo@vendor', action: 'mask' },
      { field: 'link.trace_state.auth', action: 'mask' },
    ]);
    const clean = span({ spanId: spanId(2), traceState: 'congo=t61rcWkgMzE' });
    const input = request([clean]);
    assert.equal(redactor().redactResourceSpans(input), input, 'a trace state nothing applies to changes nothing');
  });
});

describe('dt.redactions from outside', () => {
  test('a client-sent note is dropped and the drop noted; only what this pass applied is listed', () => {
    const forged = JSON.stringify([
      { field: 'decision.evidence.ssn', action: 'jane@example.com 078-05-1120' },
      { field: 'x', action: 'mask' },
    ]);
    const input = request(
      [
        span({
          spanId: spanId(1),
          attributes: { 'decision.type': 'refund.approve', [ATTR_DT_REDACTIONS]: forged, password: 'p' },
          events: [spanEvent('log', { [ATTR_DT_REDACTIONS]: forged })],
        }),
      ],
      { 'service.name': 'refunds', [ATTR_DT_REDACTIONS]: forged },
    );
    const out = redactor().redactResourceSpans(input)[0]!;
    const redactedSpan = out.scopeSpans[0]!.spans[0]!;
    assert.deepEqual(noteOf(redactedSpan), [
      { field: 'password', action: 'mask' },
      { field: ATTR_DT_REDACTIONS, action: 'drop' },
    ]);
    assert.deepEqual(noteOf(redactedSpan.events[0]!), [{ field: ATTR_DT_REDACTIONS, action: 'drop' }]);
    assert.deepEqual(noteOf(out.resource), [{ field: `resource.${ATTR_DT_REDACTIONS}`, action: 'drop' }]);
    const record = recordOf([out]);
    assert.equal(JSON.stringify(record).includes('078-05-1120'), false);
    assert.deepEqual(record.redactions.map((entry) => entry.field).sort(), ['dt.redactions', 'password', 'resource.dt.redactions']);
  });

  test('without a redaction pass, a note is still only read for actions a pass writes', () => {
    const forged = JSON.stringify([
      { field: 'decision.evidence.ssn', action: '078-05-1120' },
      { field: 'decision.evidence.card', action: 'mask' },
    ]);
    const record = recordOf(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'refund.approve', [ATTR_DT_REDACTIONS]: forged } })]));
    assert.deepEqual(record.redactions, [{ field: 'decision.evidence.card', action: 'mask' }]);
  });
});

describe('decision events with schema 1.0 type names and actors', () => {
  test('decision.evidence and decision.policy_check events are redacted like evidence and policy_check', () => {
    const base = makeDecisionEvent({
      event_id: 'e-1',
      event_type: 'decision.start',
      decision_id: 'd-1',
      decision_type: 'refund.approve',
      actor: { id: 'a', type: 'human', version: '1', org: 'acme' },
      source: 'api.events',
    });
    const evidence = redactor().redactDecisionEvent({
      ...base,
      event_type: 'decision.evidence' as DecisionEvent['event_type'],
      payload: { key: 'api_key', value: 'sk-1' },
    });
    assert.deepEqual(evidence.payload, { key: 'api_key', value: '***' });
    const check = redactor().redactDecisionEvent({
      ...base,
      event_type: 'decision.policy_check' as DecisionEvent['event_type'],
      payload: { policy: 'login', result: 'pass', inputs: { password: 'p' } },
    });
    assert.deepEqual(check.payload, { policy: 'login', result: 'pass', inputs: { password: '***' } });
    const actor = redactor({
      rules: [
        { key: 'decision.actor.org', action: 'mask' },
        { key: 'decision.actor.version', action: 'drop' },
      ],
    }).redactDecisionEvent(base);
    assert.deepEqual(actor.actor, { id: 'a', type: 'human', version: null, org: '***' });
  });
});

describe('the SDK projection (dt.*)', () => {
  test('rules written for decision.* names hold for the dt.* names of the same fields', () => {
    const rules: RedactionSettings['rules'] = [
      { key: 'decision.actor.id', action: 'hash' },
      { key: 'decision.evidence.customer_email', action: 'derive', derive: 'email_domain' },
      { key_glob: 'decision.factors.login.*', action: 'drop' },
      { key: 'decision.policy.kyc', action: 'mask' },
      { key: 'decision.outcome', action: 'mask' },
      { value_regex: 'ORD-\\d+', key: 'decision.evidence.order', action: 'mask' },
    ];
    const out = attributesOf(
      {
        'dt.decision_id': 'd-1',
        'dt.actor.id': 'customer-8842',
        'dt.evidence.customer_email': 'jane@example.com',
        'dt.payload.factors': JSON.stringify({ login: { user: 'jane' }, risk: 'low' }),
        'dt.policy.kyc': 'pass for passport X1',
        'dt.outcome': 'approved',
        'dt.evidence.order': 'ref ORD-123',
        'dt.evidence.amount': 5,
      },
      { rules },
    );
    assert.deepEqual(out, {
      'dt.decision_id': 'd-1',
      'dt.actor.id': hmac('customer-8842'),
      'dt.evidence.customer_email_domain': 'example.com',
      'dt.payload.factors': JSON.stringify({ login: {}, risk: 'low' }),
      'dt.policy.kyc': '***',
      'dt.outcome': '***',
      'dt.evidence.order': 'ref ***',
      'dt.evidence.amount': 5,
    });
  });

  test('the allow list keeps a dt.* field when its decision.* name is listed', () => {
    const out = attributesOf(
      { 'dt.decision_id': 'd-1', 'dt.evidence.amount': 5, 'dt.evidence.email': 'x@y.io' },
      { allow_list: { keys: ['decision.evidence.amount'], keep_decision_keys: true } },
    );
    assert.deepEqual(out, { 'dt.decision_id': 'd-1', 'dt.evidence.amount': 5 });
  });
});

describe('integral doubles through a redaction pass', () => {
  test('a 3.0 that arrived as an OTLP double stays noted as a double when a neighbour is redacted or dropped', () => {
    const attributes: Attributes = { 'customer.email': 'a@b.io', ratio: 3, count: 3, list: [1, 2, 4] };
    noteIntegralDouble(attributes, 'ratio', true);
    noteIntegralDouble(attributes.list as AttributeValue[], 2, true);
    const out = redactSpan(attributes, { rules: [{ key: 'customer.email', action: 'mask' }] }).attributes;
    assert.equal(out['customer.email'], '***');
    assert.notEqual(out, attributes, 'the attributes were rebuilt');
    assert.equal(isDoubleValue(out, 'ratio', 3), true, 'the double keeps its note');
    assert.equal(isDoubleValue(out, 'count', 3), false, 'the int stays an int');

    // In an array rebuilt because one element was masked, the note stays with its element.
    const list: AttributeValue[] = [1, 'a@b.io', 4];
    noteIntegralDouble(list, 2, true);
    const masked = redactSpan({ list }, { rules: [{ value_regex: 'a@b\\.io', action: 'mask' }] }).attributes.list as AttributeValue[];
    assert.notEqual(masked, list);
    assert.equal(masked[1], '***');
    assert.equal(isDoubleValue(masked, 2, 4), true);
    assert.equal(isDoubleValue(masked, 0, 1), false);
  });
});
