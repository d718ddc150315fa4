import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractDecisionEvents } from '../src/from-spans.js';
import { parseCanonicalEvents } from '../src/canonical.js';
import { applyEvent } from '../src/reduce.js';
import { LineageIndex } from '../src/lineage.js';
import type { DecisionEvent } from '../src/event.js';
import type { DecisionRecord } from '../src/record.js';
import { BASE_TIME_NANOS, MILLI, TRACE_ID, request, span, spanEvent, spanId } from './span-builders.js';

/** Input C: the Decision Trace SDKs' OTel projections give the canonical path's record. */

const SDK_TRACE_ID = '084ef580-cf6a-4cd3-9f70-b17be0aaf1de';
const DECISION_ID = 'e5d6ec04-f5e7-48a5-b6d9-9ef48b97c087';
const at = (millis: number) => new Date(Number(BASE_TIME_NANOS / MILLI) + millis).toISOString();

/** Canonical events as the Python SDK writes them (its JSONL), `millis` after the base time. */
function canonical(eventType: string, payload: Record<string, unknown>, millis: number, extra: Record<string, unknown> = {}) {
  return {
    tenant_id: 'acme',
    environment: 'staging',
    schema_version: '1.0',
    timestamp: at(millis),
    trace_id: SDK_TRACE_ID,
    decision_id: DECISION_ID,
    parent_decision_id: null,
    event_id: `evt-${eventType}-${millis}`,
    event_type: eventType,
    decision_type: 'refund.approve',
    actor: { id: 'agent-7', type: 'agent', org: 'acme-support' },
    payload,
    causal_links: null,
    ...extra,
  };
}

function fold(events: DecisionEvent[]): DecisionRecord {
  let record: DecisionRecord | undefined;
  for (const event of events) record = applyEvent(record, event);
  assert.ok(record);
  return record;
}

function canonicalRecord(items: unknown[]): DecisionRecord {
  const parsed = parseCanonicalEvents(items);
  assert.deepEqual(parsed.errors, []);
  return fold(parsed.events);
}

/** The fields a projection carries must be equal; the rest is named by each test. */
function assertSameRecord(projected: DecisionRecord, reference: DecisionRecord, differing: Array<keyof DecisionRecord>): void {
  for (const field of Object.keys(reference) as Array<keyof DecisionRecord>) {
    if (differing.includes(field)) continue;
    assert.deepEqual(projected[field], reference[field], `record.${field}`);
  }
}

test("Python OTelExporter: one span per decision gives the SDK's events and the canonical record", () => {
  const reference = canonicalRecord([
    canonical('decision.start', {}, 0),
    canonical('decision.evidence', { key: 'order_total', value: 120.5 }, 10),
    canonical('decision.evidence', { key: 'history', value: { refunds: 2, flags: ['late'], ok: false, note: null } }, 20),
    canonical('decision.evidence', { key: 'tags', value: ['repeat', 'eu'] }, 30),
    canonical('decision.policy_check', { policy: 'refund_limit', result: 'pass' }, 40),
    canonical('decision.outcome', { status: 'approved' }, 250),
  ]);
  // What decision_trace/exporters/otel.py sets for those events.
  const events = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        name: 'refund.approve',
        startTimeUnixNano: BASE_TIME_NANOS,
        endTimeUnixNano: BASE_TIME_NANOS + 250n * MILLI,
        attributes: {
          'dt.trace_id': SDK_TRACE_ID,
          'dt.decision_id': DECISION_ID,
          'dt.tenant_id': 'acme',
          'dt.environment': 'staging',
          'dt.actor.type': 'agent',
          'dt.actor.id': 'agent-7',
          'dt.actor.org': 'acme-support',
          'dt.evidence.order_total': 120.5,
          'dt.evidence.history': "{'refunds': 2, 'flags': ['late'], 'ok': False, 'note': None}",
          'dt.evidence.tags': "['repeat', 'eu']",
          'dt.policy.refund_limit': 'pass',
          'dt.outcome': 'approved',
        },
        status: { code: 1, message: '' },
      }),
    ]),
  );
  assert.deepEqual(
    events.map((event) => [event.event_type, event.event_id, event.timestamp]),
    [
      ['decision.start', `otlp:${TRACE_ID}:${spanId(1)}`, at(0)],
      ['decision.evidence', `otlp:${TRACE_ID}:${spanId(1)}:evidence:order_total`, at(0)],
      ['decision.evidence', `otlp:${TRACE_ID}:${spanId(1)}:evidence:history`, at(0)],
      ['decision.evidence', `otlp:${TRACE_ID}:${spanId(1)}:evidence:tags`, at(0)],
      ['decision.policy_check', `otlp:${TRACE_ID}:${spanId(1)}:policy:refund_limit`, at(0)],
      ['decision.outcome', `otlp:${TRACE_ID}:${spanId(1)}:outcome`, at(250)],
    ],
  );
  for (const event of events) {
    assert.equal(event.decision_type, 'refund.approve', 'the decision type travels in the span name');
    assert.equal(event.trace_id, SDK_TRACE_ID, "the record's trace is the SDK's, as on the canonical path");
    assert.equal(event.span_id, spanId(1));
  }
  const record = fold(events);
  // Times: the evidence's own times are not sent (all at the span's start); the span ends at
  // the SDK's flush, here with the outcome.
  assertSameRecord(record, reference, ['span_id', 'service_name', 'event_count']);
  assert.equal(record.span_id, spanId(1));
  assert.equal(record.status, 'decided');
});

test('Python OTelExporter: decision.error is an exception event; an error after the outcome is kept although OTel keeps status OK', () => {
  const reference = canonicalRecord([
    canonical('decision.start', {}, 0),
    canonical('decision.outcome', { status: 'approved' }, 100),
    canonical('decision.error', { message: 'score service unavailable', error_type: 'ValueError' }, 180),
  ]);
  const attributes = {
    'dt.trace_id': SDK_TRACE_ID,
    'dt.decision_id': DECISION_ID,
    'dt.tenant_id': 'acme',
    'dt.environment': 'staging',
    'dt.actor.type': 'agent',
    'dt.actor.id': 'agent-7',
    'dt.actor.org': 'acme-support',
    'dt.outcome': 'approved',
  };
  const exception = spanEvent(
    'exception',
    {
      'exception.type': 'ValueError',
      'exception.message': 'score service unavailable',
      'exception.stacktrace': 'Exception: score service unavailable',
      'exception.escaped': 'False',
    },
    180n,
  );
  const events = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        name: 'refund.approve',
        endTimeUnixNano: BASE_TIME_NANOS + 200n * MILLI,
        attributes,
        events: [exception],
        status: { code: 1, message: '' },
      }),
    ]),
  );
  const error = events.find((event) => event.event_type === 'decision.error');
  assert.ok(error);
  assert.deepEqual(error.payload, { message: 'score service unavailable', error_type: 'ValueError' });
  assert.equal(error.timestamp, at(180));
  const record = fold(events);
  // The outcome's time is the span's end (the flush), 100 ms after the SDK's outcome event.
  assertSameRecord(record, reference, ['span_id', 'service_name', 'event_count', 'end_time', 'duration_ms', 'updated_at']);
  assert.equal(record.status, 'errored');
  assert.equal(record.end_time, at(200));

  // ERROR status without an exception event still says the decision failed.
  const statusOnly = extractDecisionEvents(
    request([span({ spanId: spanId(2), name: 'x', attributes: { 'dt.decision_id': 'd2' }, status: { code: 2, message: 'boom' } })]),
  );
  assert.deepEqual(statusOnly.at(-1)?.payload, { message: 'boom' });
  assert.equal(statusOnly.at(-1)?.event_type, 'decision.error');
});

/** The Java exporter's span for one canonical event (OpenTelemetryDecisionExporter.java). */
function javaSpan(n: number, event: ReturnType<typeof canonical>, error = false) {
  const links = event.causal_links as unknown[] | null;
  const attributes: Record<string, string | number> = {
    'dt.schema_version': event.schema_version,
    'dt.trace_id': event.trace_id,
    'dt.decision_id': event.decision_id,
    'dt.event_id': event.event_id,
    'dt.event_type': event.event_type,
    'dt.decision_type': event.decision_type,
    'dt.tenant_id': event.tenant_id,
    'dt.environment': event.environment,
    'dt.actor.id': event.actor.id,
    'dt.actor.type': event.actor.type,
    'dt.actor.org': event.actor.org,
    'dt.causal_link_count': links === null ? 0 : links.length,
    'dt.payload_json': JSON.stringify(event),
  };
  if (event.parent_decision_id !== null) attributes['dt.parent_decision_id'] = event.parent_decision_id as string;
  // The span starts at the event's time and ends whenever the exporter returned.
  const start = BigInt(Date.parse(event.timestamp)) * MILLI;
  return span({
    spanId: spanId(n),
    name: `${event.decision_type}:${event.event_type}`,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 5_000n * MILLI,
    attributes,
    status: error ? { code: 2, message: String(event.payload.message) } : { code: 0, message: '' },
  });
}

test('Java exporter: dt.payload_json gives each event its whole payload, time and causal links', () => {
  const items = [
    canonical('decision.start', {}, 0, { parent_decision_id: 'parent-1' }),
    canonical('decision.evidence', { key: 'history', value: { refunds: 2, nested: { deep: [1, { x: true }] } } }, 10, {
      parent_decision_id: 'parent-1',
      causal_links: [{ type: 'uses_evidence_from', target_decision_id: 'kyc-1' }],
    }),
    canonical('decision.policy_check', { policy: 'fraud', result: 'review', inputs: { score: 0.12 } }, 20, { parent_decision_id: 'parent-1' }),
    canonical('decision.policy_check', { policy: 'fraud', result: 'pass' }, 30, { parent_decision_id: 'parent-1' }),
    canonical('decision.action', { type: 'refund', amount: 120.5, outcome: 'issued' }, 40, { parent_decision_id: 'parent-1' }),
    canonical('decision.approval', { approver: 'lead-3', approved: true, confidence: 0.7 }, 50, { parent_decision_id: 'parent-1' }),
    canonical('decision.outcome', { status: 'approved' }, 60, { parent_decision_id: 'parent-1' }),
    canonical('decision.evaluation', { score: 0.9, outcome: 'correct' }, 70, { parent_decision_id: 'parent-1' }),
    canonical('decision.error', { message: 'late failure', error_type: 'Timeout', code: 504 }, 80, { parent_decision_id: 'parent-1' }),
  ];
  const reference = canonicalRecord(items);
  const events = extractDecisionEvents(request(items.map((item, i) => javaSpan(i + 1, item, item.event_type === 'decision.error'))));
  assert.equal(events.length, items.length, 'one event per span');
  events.forEach((event, i) => {
    assert.equal(event.event_id, items[i].event_id);
    assert.equal(event.event_type, items[i].event_type);
    assert.equal(event.timestamp, items[i].timestamp, "the event's own time, not the span's end");
    assert.deepEqual(event.payload, items[i].payload, 'the payload exactly, nested values included');
  });
  assert.deepEqual(events[1].causal_links, [{ type: 'uses_evidence_from', target_decision_id: 'kyc-1' }]);
  assertSameRecord(fold(events), reference, ['span_id', 'service_name']);
});

test('docs mapping: scalar payload fields as dt.payload.<key> give the same record; span times are the event time', () => {
  const items = [
    canonical('decision.start', {}, 0),
    canonical('decision.evidence', { key: 'order_total', value: 120.5 }, 10),
    canonical('decision.policy_check', { policy: 'refund_limit', result: 'pass' }, 20),
    canonical('decision.action', { type: 'refund', amount: 120.5 }, 30),
    canonical('decision.outcome', { status: 'approved' }, 40),
    canonical('decision.error', { message: 'late failure', error_type: 'Timeout' }, 50),
  ];
  const reference = canonicalRecord(items);
  const spans = items.map((item, i) => {
    const attributes: Record<string, string | number | boolean> = {
      'dt.tenant_id': item.tenant_id,
      'dt.environment': item.environment,
      'dt.schema_version': item.schema_version,
      'dt.trace_id': item.trace_id,
      'dt.decision_id': item.decision_id,
      'dt.event_id': item.event_id,
      'dt.event_type': item.event_type,
      'dt.decision_type': item.decision_type,
      'dt.actor.id': item.actor.id,
      'dt.actor.type': item.actor.type,
      'dt.actor.org': item.actor.org,
    };
    for (const [key, value] of Object.entries(item.payload)) attributes[`dt.payload.${key}`] = value as string | number;
    const time = BigInt(Date.parse(item.timestamp)) * MILLI;
    return span({
      spanId: spanId(i + 1),
      name: `${item.event_type} ${item.decision_type}`,
      startTimeUnixNano: time,
      endTimeUnixNano: time,
      attributes,
      status: item.event_type === 'decision.error' ? { code: 2, message: 'late failure' } : { code: 0, message: '' },
    });
  });
  const events = extractDecisionEvents(request(spans));
  events.forEach((event, i) => assert.deepEqual(event.payload, items[i].payload, `${items[i].event_type} payload`));
  assertSameRecord(fold(events), reference, ['span_id', 'service_name']);
});

test("a decision.start span without dt.payload_json may carry a whole decision (the in-process SDK's form): its span times are the decision's", () => {
  const [start] = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        endTimeUnixNano: BASE_TIME_NANOS + 900n * MILLI,
        attributes: {
          'dt.decision_id': 'd1',
          'dt.event_type': 'decision.start',
          'dt.decision_type': 'refund.approve.v2',
          'dt.payload.evidence': '{"order_total": 120.5}',
          'dt.payload.confidence': '0.9',
          'dt.evidence.channel': 'chat',
          'dt.policy.limit': 'pass',
          'dt.outcome': 'approved',
        },
      }),
    ]),
  );
  assert.equal(start.timestamp, at(900));
  assert.deepEqual(start.payload, {
    evidence: { order_total: 120.5, channel: 'chat' },
    confidence: 0.9,
    policy_checks: [{ policy: 'limit', result: 'pass' }],
    outcome: 'approved',
    start_time: at(0),
    end_time: at(900),
  });
});

test('per-event spans: dt.evidence / dt.policy / dt.outcome are the payload of their own event type; other events are points at the span start', () => {
  const events = extractDecisionEvents(
    request([
      span({ spanId: spanId(1), attributes: { 'dt.decision_id': 'd1', 'dt.event_type': 'decision.evidence', 'dt.evidence.order_total': 120.5 } }),
      span({
        spanId: spanId(2),
        attributes: { 'dt.decision_id': 'd1', 'dt.event_type': 'policy_check', 'dt.policy.limit': 'pass', 'dt.payload.inputs': '{"limit": 500}' },
      }),
      span({
        spanId: spanId(3),
        startTimeUnixNano: BASE_TIME_NANOS + 10n * MILLI,
        attributes: { 'dt.decision_id': 'd1', 'dt.event_type': 'decision.outcome', 'dt.outcome': 'approved' },
      }),
    ]),
  );
  assert.deepEqual(
    events.map((event) => [event.event_type, event.timestamp]),
    [
      ['decision.evidence', at(0)],
      ['decision.policy_check', at(0)],
      ['decision.outcome', at(10)],
    ],
  );
  assert.equal(events[0].payload.key, 'order_total');
  assert.equal(events[0].payload.value, 120.5);
  assert.deepEqual(events[1].payload.inputs, { limit: 500 }, "an earlier release's unprefixed name is an alias");
  assert.equal(events[1].payload.policy, 'limit');
  assert.deepEqual(events[2].payload, { status: 'approved' });
  const record = fold(events);
  assert.deepEqual(record.evidence, { order_total: 120.5 });
  assert.equal(record.outcome, 'approved');
});

test('an unknown dt.event_type is kept as decision.start with a flag; dt.parent_decision_id wins', () => {
  const [event] = extractDecisionEvents(
    request([span({ spanId: spanId(1), attributes: { 'dt.decision_id': 'dec-1', 'dt.event_type': 'telemetry.ping', 'dt.parent_decision_id': 'dec-0' } })]),
  );
  assert.equal(event.event_type, 'decision.start');
  assert.deepEqual(
    event.flags?.map((flag) => [flag.code, flag.field]),
    [['invalid_value', 'event_type']],
  );
  assert.equal(event.parent_decision_id, 'dec-0');
});

test("a dt.* decision under a span that arrives later is linked through the OTel trace, its record keeps the SDK's trace", () => {
  const lineage = new LineageIndex();
  const first = extractDecisionEvents(
    request([
      span({
        spanId: spanId(2),
        parentSpanId: spanId(1),
        name: 'notify.customer',
        attributes: { 'dt.decision_id': 'child', 'dt.trace_id': SDK_TRACE_ID },
      }),
    ]),
    { lineage },
  );
  assert.equal(first[0].parent_decision_id, null);
  assert.equal(first[0].trace_id, SDK_TRACE_ID);
  const second = extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'refund.approve', 'decision.id': 'parent' } })]), {
    lineage,
  });
  const linked = second.find((event) => event.event_type === 'decision.linked');
  assert.ok(linked, 'the child is linked when its OTel parent arrives');
  assert.equal(linked.decision_id, 'child');
  assert.equal(linked.parent_decision_id, 'parent');
});

test('A: ERROR status with an exception event records the exception message and type', () => {
  const [event] = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        attributes: { 'decision.type': 'a' },
        events: [spanEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'upstream timeout' })],
        status: { code: 2, message: 'failed' },
      }),
    ]),
  );
  assert.deepEqual(event.payload.error, { message: 'upstream timeout', error_type: 'TimeoutError' });
});

test('C: redelivery of projection spans yields identical events', () => {
  const build = () =>
    request([
      span({
        spanId: spanId(1),
        name: 'refund.approve',
        attributes: { 'dt.decision_id': 'd1', 'dt.evidence.a': 1, 'dt.outcome': 'ok' },
        events: [spanEvent('exception', { 'exception.message': 'x' })],
      }),
      span({ spanId: spanId(2), attributes: { 'dt.decision_id': 'd2', 'dt.event_type': 'decision.evidence', 'dt.payload_json': '{"key":"k","value":[1]}' } }),
    ]);
  const first = extractDecisionEvents(build());
  assert.deepEqual(extractDecisionEvents(build()), first);
  assert.equal(new Set(first.map((event) => event.event_id)).size, first.length);
  assert.deepEqual(first.at(-1)?.payload, { key: 'k', value: [1] });
});

test('a decision.start span with ERROR status and an exception event records the error, as a decision.* span does', () => {
  const [start] = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        attributes: { 'dt.decision_id': 'd1', 'dt.event_type': 'decision.start', 'dt.decision_type': 'refund.approve' },
        events: [spanEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'upstream timeout' })],
        status: { code: 2, message: 'failed' },
      }),
    ]),
  );
  assert.deepEqual(start.payload.error, { message: 'upstream timeout', error_type: 'TimeoutError' });
  const record = fold([start]);
  assert.equal(record.status, 'errored');
  assert.deepEqual(record.error, { message: 'upstream timeout', error_type: 'TimeoutError' });
});
