import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCanonicalEvents, type CanonicalEventError } from '../src/canonical.js';
import { DEFAULT_TENANT } from '../src/event.js';

/** Events as the Python SDK posts them (unset fields as null). */
function sdkBatch(): Record<string, unknown>[] {
  return [
    {
      schema_version: '1.0',
      event_id: 'evt-001',
      event_type: 'decision.start',
      decision_id: 'dec-refund-1',
      decision_type: 'refund.approve.v2',
      parent_decision_id: null,
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      tenant_id: 'acme',
      environment: 'production',
      timestamp: '2024-05-01T12:00:00.123456+02:00',
      actor: { id: 'refund-bot', type: 'agent', version: null, org: 'acme' },
      payload: { confidence: 0.8 },
      causal_links: [{ type: 'triggered_by', target_decision_id: 'dec-ticket-9' }],
    },
    {
      event_type: 'decision.evidence',
      decision_id: 'dec-refund-1',
      timestamp: '2024-05-01T10:00:01Z',
      payload: { key: 'order_total', value: 120.5 },
    },
    {
      event_type: 'decision.policy_check',
      decision_id: 'dec-refund-1',
      timestamp: '2024-05-01T10:00:02Z',
      payload: { policy: 'refund_limit', result: 'pass', inputs: { limit: 500 } },
    },
    {
      event_type: 'decision.outcome',
      decision_id: 'dec-refund-1',
      timestamp: '2024-05-01T10:00:03Z',
      payload: { status: 'approved' },
    },
  ];
}

function fields(errors: CanonicalEventError[]): Array<[number, string]> {
  return errors.map((error) => [error.index, error.field]);
}

test('valid events become api.events decision events', () => {
  const { events, errors } = parseCanonicalEvents(sdkBatch(), {});
  assert.deepEqual(errors, []);
  assert.equal(events.length, 4);
  const [start, evidence] = events;
  assert.deepEqual(start, {
    schema_version: '1.0',
    event_id: 'evt-001',
    event_type: 'decision.start',
    decision_id: 'dec-refund-1',
    decision_type: 'refund.approve.v2',
    parent_decision_id: null,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: null,
    tenant_id: 'acme',
    environment: 'production',
    // As posted: all six fraction digits and the offset (lossless, docs/architecture.md §2 D).
    timestamp: '2024-05-01T12:00:00.123456+02:00',
    actor: { id: 'refund-bot', type: 'agent', version: null, org: 'acme' },
    payload: { confidence: 0.8 },
    causal_links: [{ type: 'triggered_by', target_decision_id: 'dec-ticket-9' }],
    source: 'api.events',
  });
  assert.equal(evidence.tenant_id, DEFAULT_TENANT);
  assert.equal(evidence.schema_version, '1.0');
  assert.equal(evidence.actor, null);
  assert.deepEqual(evidence.causal_links, []);
  assert.deepEqual(evidence.payload, { key: 'order_total', value: 120.5 });
});

test('the authenticated tenant overrides tenant_id', () => {
  const { events } = parseCanonicalEvents(sdkBatch(), { tenant: 'globex' });
  assert.deepEqual(new Set(events.map((event) => event.tenant_id)), new Set(['globex']));
});

test('an event without event_id gets a stable id derived from its content', () => {
  const first = parseCanonicalEvents(sdkBatch(), {}).events;
  const again = parseCanonicalEvents(sdkBatch(), { tenant: 'other' }).events;
  assert.match(first[1].event_id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(again[1].event_id, first[1].event_id);
  const reordered = parseCanonicalEvents(
    [{ payload: { value: 120.5, key: 'order_total' }, timestamp: '2024-05-01T10:00:01.000Z', decision_id: 'dec-refund-1', event_type: 'decision.evidence' }],
    {},
  ).events;
  assert.equal(reordered[0].event_id, first[1].event_id, 'key order and timestamp spelling do not matter');
  const ids = new Set(first.slice(1).map((event) => event.event_id));
  assert.equal(ids.size, 3, 'different content, different ids');
  const changed = sdkBatch();
  (changed[1].payload as Record<string, unknown>).value = 99;
  assert.notEqual(parseCanonicalEvents(changed, {}).events[1].event_id, first[1].event_id);
});

test('the unprefixed names of earlier releases are aliases: accepted, checked and stored under the schema name', () => {
  const legacy = sdkBatch().map((event) => ({ ...event, event_type: String(event.event_type).replace(/^decision\.(?!start)/, '') }));
  assert.deepEqual(
    legacy.map((event) => event.event_type),
    ['decision.start', 'evidence', 'policy_check', 'outcome'],
  );
  const { events, errors } = parseCanonicalEvents(legacy, {});
  assert.deepEqual(errors, []);
  assert.deepEqual(
    events.map((event) => event.event_type),
    ['decision.start', 'decision.evidence', 'decision.policy_check', 'decision.outcome'],
  );
  const aliases = ['evidence', 'policy_check', 'action', 'approval', 'outcome', 'error', 'evaluation'];
  const payloads: Record<string, Record<string, unknown>> = {
    evidence: { key: 'k', value: 1 },
    policy_check: { policy: 'p', result: 'pass' },
    outcome: { status: 'approved' },
    error: { message: 'boom' },
  };
  const each = parseCanonicalEvents(
    aliases.map((alias) => ({ event_type: alias, decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: payloads[alias] ?? {} })),
  );
  assert.deepEqual(each.errors, []);
  assert.deepEqual(
    each.events.map((event) => event.event_type),
    aliases.map((alias) => `decision.${alias}`),
  );

  // Payload rules hold under either name.
  const bad = parseCanonicalEvents([{ event_type: 'evidence', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { value: 1 } }]);
  assert.deepEqual(fields(bad.errors), [[0, 'payload.key']]);

  // An event posted without an id is the same event under either name (and so a repeat of what
  // an earlier release stored for it).
  const schemaIds = parseCanonicalEvents(sdkBatch()).events.map((event) => event.event_id);
  assert.deepEqual(events.map((event) => event.event_id).slice(1), schemaIds.slice(1));
});

test('an unknown event type names the schema names it could have been', () => {
  const { errors } = parseCanonicalEvents([{ event_type: 'decision.finish', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z' }]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].field, 'event_type');
  assert.match(
    errors[0].message,
    /decision\.start, decision\.evidence, decision\.policy_check, decision\.action, decision\.approval, decision\.outcome, decision\.error, decision\.evaluation/,
  );
  assert.doesNotMatch(errors[0].message, /, evidence/, 'aliases are accepted, not advertised');
});

test('a body that is not an array is one error at index -1', () => {
  for (const body of [{ events: [] }, null, 'text', sdkBatch()[0]]) {
    const result = parseCanonicalEvents(body, {});
    assert.deepEqual(result.events, []);
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0].index, -1);
  }
});

test('every problem of every event is reported with its index and path; valid events are still returned', () => {
  const body: unknown[] = [
    sdkBatch()[3],
    {
      decision_id: '',
      event_type: 'decision.finish',
      timestamp: '2024-05-01 10:00',
      schema_version: '2.0',
      actor: 'refund-bot',
      causal_links: [{ type: 'caused', target_decision_id: 'x' }, { type: 'depends_on' }],
    },
    { event_type: 'decision.evidence', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { value: 1 } },
    { event_type: 'decision.policy_check', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { policy: 7 } },
    { event_type: 'decision.outcome', timestamp: '2024-05-01T10:00:00', payload: {} },
    { event_type: 'decision.error', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { message: 504, error_type: 'Timeout' } },
    'not an event',
    sdkBatch()[1],
  ];
  const { events, errors } = parseCanonicalEvents(body, {});
  assert.deepEqual(
    events.map((event) => event.event_type),
    ['decision.outcome', 'decision.evidence'],
  );
  assert.deepEqual(
    new Set(fields(errors)),
    new Set([
      [1, 'decision_id'],
      [1, 'event_type'],
      [1, 'timestamp'],
      [1, 'schema_version'],
      [1, 'actor'],
      [1, 'causal_links.0.type'],
      [1, 'causal_links.1.target_decision_id'],
      [2, 'payload.key'],
      [3, 'payload.policy'],
      [3, 'payload.result'],
      [4, 'decision_id'],
      [4, 'timestamp'],
      [4, 'payload.status'],
      [5, 'payload.message'],
      [6, ''],
    ]),
  );
  assert.equal(errors.length, 15, 'one error per problem');
  for (const error of errors) assert.ok(error.message.length > 0);
  assert.equal(errors.find((error) => error.index === 4 && error.field === 'decision_id')?.message, 'required');
});

test('payload checks depend on the event type; free types accept any object', () => {
  const { events, errors } = parseCanonicalEvents(
    [
      { event_type: 'decision.action', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { name: 'refund.issue' } },
      { event_type: 'decision.approval', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z' },
      { event_type: 'decision.evaluation', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: null },
      { event_type: 'decision.policy_check', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { policy: 'p', result: null } },
      { event_type: 'decision.action', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: ['not', 'an', 'object'] },
      // Schema 1.0 leaves an error's payload free: `ctx.error({...})` with the caller's own keys.
      { event_type: 'decision.error', decision_id: 'd', timestamp: '2024-05-01T10:00:00Z', payload: { reason: 'quota', retry: false } },
    ],
    {},
  );
  assert.deepEqual(fields(errors), [[4, 'payload']]);
  assert.equal(events.length, 5);
  assert.deepEqual(events[4].payload, { reason: 'quota', retry: false });
  assert.deepEqual(events[1].payload, {});
  assert.deepEqual(events[2].payload, {});
  assert.equal(events[3].payload.result, null);
});

test('span_id, service_name and conversion flags sent by span-converting senders are kept', () => {
  const { events, errors } = parseCanonicalEvents(
    [
      {
        decision_id: 'd-1',
        event_type: 'decision.start',
        timestamp: '2026-01-02T03:04:05.000Z',
        span_id: 'eee19b7ec3c1b174',
        service_name: 'refund-service',
        flags: [{ code: 'invalid_json', field: 'factors', detail: 'Unexpected token in JSON' }],
      },
      { decision_id: 'd-2', event_type: 'decision.start', timestamp: '2026-01-02T03:04:05.000Z', flags: [{ field: 1 }] },
    ],
    {},
  );
  assert.equal(events[0].span_id, 'eee19b7ec3c1b174');
  assert.equal(events[0].service_name, 'refund-service');
  assert.deepEqual(events[0].flags, [{ code: 'invalid_json', field: 'factors', detail: 'Unexpected token in JSON' }]);
  assert.deepEqual(errors.map((e) => `${e.index}:${e.field}`).sort(), ['1:flags.0.code', '1:flags.0.detail', '1:flags.0.field']);
});
