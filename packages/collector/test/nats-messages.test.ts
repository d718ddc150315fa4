import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCanonicalEvents, type DecisionEvent } from '@decision-trace/model';
import { makeDecisionEvent } from '@decision-trace/model/testing';
import { decisionsExporterSchema } from '../src/exporters/decisions/config.js';
import { decisionMessages, EventTooLargeError, messageId } from '../src/exporters/decisions/nats-messages.js';
import { subjectMatches } from '../src/shared/nats-stream.js';

function event(i: number, tenant = 'acme', padding = ''): DecisionEvent {
  return makeDecisionEvent({
    event_id: `evt-${i}`,
    decision_id: `dec-${i}`,
    trace_id: '5b8efff798038103d269b633813fc60c',
    span_id: 'eee19b7ec3c1b174',
    tenant_id: tenant,
    environment: 'prod',
    timestamp: '2026-01-01T00:00:00.000Z',
    actor: { id: 'agent-7', type: 'agent', version: null, org: null },
    payload: { outcome: 'approved', confidence: 0.9, note: padding },
    service_name: 'refunds',
  });
}

const decoder = new TextDecoder();

describe('decision events as JetStream messages', () => {
  test('one message for a batch that fits; its body reads back as the same events', () => {
    const events = [event(1), event(2), event(3)];
    const messages = decisionMessages(events, 1024 * 1024);
    assert.equal(messages.length, 1);
    assert.equal(messages[0].events, 3);
    const parsed = parseCanonicalEvents(JSON.parse(decoder.decode(messages[0].data)));
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(
      parsed.events.map((e) => [e.tenant_id, e.event_id, e.decision_id, e.service_name, e.payload]),
      events.map((e) => [e.tenant_id, e.event_id, e.decision_id, e.service_name, e.payload]),
    );
  });

  test('a verdict without policy or adjusted count (null) is published so that a writer accepts it', () => {
    const verdict: DecisionEvent = {
      ...event(9),
      event_id: 'sampling:dec-9',
      event_type: 'decision.sampling',
      payload: {},
      sampling: { trace_sampled: false, adjusted_count: null, policy: null },
    };
    const kept: DecisionEvent = { ...event(10), sampling: { trace_sampled: true, adjusted_count: 4, policy: 'p' } };
    const [message] = decisionMessages([verdict, kept], 1024 * 1024);
    const parsed = parseCanonicalEvents(JSON.parse(decoder.decode(message.data)));
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(
      parsed.events.map((e) => e.sampling),
      [{ trace_sampled: false }, { trace_sampled: true, adjusted_count: 4, policy: 'p' }],
    );
    assert.equal(verdict.sampling!.policy, null, "the batch's own events are not changed");
  });

  test('a batch larger than max_payload is split; every message fits and every event is in one of them', () => {
    const events = Array.from({ length: 40 }, (_, i) => event(i, 'acme', 'x'.repeat(300)));
    const maxPayload = 2000;
    const messages = decisionMessages(events, maxPayload);
    assert.ok(messages.length > 1);
    for (const message of messages) assert.ok(message.data.byteLength <= maxPayload);
    const ids = messages.flatMap((m) => (JSON.parse(decoder.decode(m.data)) as Array<{ event_id: string }>).map((e) => e.event_id));
    assert.deepEqual(
      ids,
      events.map((e) => e.event_id),
    );
    assert.equal(new Set(messages.map((m) => m.msgId)).size, messages.length, 'each part has its own message id');
  });

  test('an event larger than max_payload alone is refused', () => {
    assert.throws(() => decisionMessages([event(1, 'acme', 'x'.repeat(5000))], 1000), EventTooLargeError);
  });

  test('message ids: the same events give the same id; another tenant, event or order another', () => {
    const a = [event(1), event(2)];
    assert.equal(messageId(a), messageId([event(1), event(2)]));
    assert.notEqual(messageId(a), messageId([event(2), event(1)]));
    assert.notEqual(messageId(a), messageId([event(1, 'globex'), event(2)]));
    assert.notEqual(messageId(a), messageId([event(1)]));
    assert.match(messageId(a), /^[0-9a-f]{64}$/);
  });

  test('subject patterns: * is one token, > the rest', () => {
    assert.ok(subjectMatches('decisions.events', 'decisions.events'));
    assert.ok(subjectMatches('decisions.*', 'decisions.events'));
    assert.ok(subjectMatches('decisions.>', 'decisions.events.eu'));
    assert.ok(!subjectMatches('decisions.*', 'decisions.events.eu'));
    assert.ok(!subjectMatches('decisions.>', 'decisions'));
    assert.ok(!subjectMatches('decisions.events', 'decisions.other'));
    assert.ok(!subjectMatches('decisions.events.eu', 'decisions.events'));
  });
});

describe('decisions exporter: the nats mode in config', () => {
  test('defaults; no embedded store is implied', () => {
    const config = decisionsExporterSchema.parse({ nats: { url: 'nats://127.0.0.1:4222' } });
    assert.deepEqual(config.nats, { url: 'nats://127.0.0.1:4222', stream: 'DECISIONS', subject: 'decisions.events', timeout: 5000 });
    assert.equal(config.storage, undefined);
  });

  test('nats excludes storage and endpoint and the embedded and remote keys; bad values are named', () => {
    const paths = (input: unknown) => {
      const result = decisionsExporterSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
    };
    assert.deepEqual(paths({ nats: { url: 'nats://x:4222' }, storage: 'sqlite:./x.db' }), ['nats']);
    assert.ok(paths({ nats: { url: 'nats://x:4222' }, endpoint: 'http://x' }).includes('nats'));
    assert.deepEqual(paths({ nats: { url: 'nats://x:4222' }, sending_queue: {} }), ['sending_queue']);
    assert.deepEqual(paths({ nats: { url: 'http://x:4222' } }), ['nats.url']);
    assert.deepEqual(paths({ nats: { url: 'nats://x:4222', subject: 'decisions.*' } }), ['nats.subject']);
    assert.deepEqual(paths({ nats: { url: 'nats://x:4222', stream: 'a.b' } }), ['nats.stream']);
    assert.deepEqual(paths({ nats: { url: 'nats://x:4222', bogus: 1 } }), ['nats']);
  });
});
