import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent } from '../src/reduce.js';
import { extractDecisionEvents } from '../src/from-spans.js';
import { LineageIndex } from '../src/lineage.js';
import { parseCanonicalEvents } from '../src/canonical.js';
import { encodeDecisionEventsJson } from '../src/wire-events.js';
import type { DecisionEvent } from '../src/event.js';
import type { DecisionRecord } from '../src/record.js';
import type { ResourceSpans, Span } from '../src/otlp-types.js';
import { makeSpan } from '@decision-trace/model/testing';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const T0 = 1_714_557_600_000_000_000n;

function span(spanId: string, parentSpanId: string, attributes: Span['attributes'], events: Span['events'] = []): Span {
  return makeSpan({ traceId: TRACE, spanId, parentSpanId, name: 'op', startTimeUnixNano: T0, endTimeUnixNano: T0 + 250_000_000n, attributes, events });
}

function request(spans: Span[]): ResourceSpans[] {
  return [
    {
      resource: { attributes: { 'service.name': 'refunds' }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 's', version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
}

function fold(events: DecisionEvent[]): Map<string, DecisionRecord> {
  const records = new Map<string, DecisionRecord>();
  for (const event of events) records.set(event.decision_id, applyEvent(records.get(event.decision_id), event));
  return records;
}

test('every event our code produces travels through POST /v1/events without loss', () => {
  const lineage = new LineageIndex();
  const child = span('00000000000000c1', '00000000000000a1', { 'decision.type': 'tool.pick.v1', 'decision.outcome': 'search' });
  // The child arrives alone first: its parent only becomes known later (a decision.linked event).
  const first = extractDecisionEvents(request([child]), { lineage });
  const second = extractDecisionEvents(
    request([
      span(
        '00000000000000a1',
        '',
        {
          'decision.type': 'refund.approve.v2',
          'decision.id': 'refund-1',
          'decision.outcome': 'approved',
          'decision.confidence': 0.9,
          'decision.evidence.amount': 120,
          'decision.policy.limit': 'pass',
          'decision.alternatives': '["deny"]',
        },
        [{ timeUnixNano: T0 + 1n, name: 'decision', attributes: { 'decision.type': 'notify.v1', 'decision.outcome': 'email' }, droppedAttributesCount: 0 }],
      ),
      span('00000000000000d1', '00000000000000a1', {
        'dt.decision_id': 'fraud-1',
        'dt.event_type': 'decision.start',
        'dt.decision_type': 'fraud.screen.v3',
        'dt.payload.evidence': '{"score":0.12,"signals":["new_device"]}',
        'dt.outcome': 'clear',
      }),
    ]),
    { lineage },
  );
  const sampling: DecisionEvent = {
    ...first[0],
    event_id: `sampling:${first[0].decision_id}`,
    event_type: 'decision.sampling',
    payload: {},
    sampling: { trace_sampled: false, adjusted_count: 4, policy: 'errors-only' },
    violations: [{ rule: 'key_evidence', detail: 'missing evidence "amount"' }],
    redactions: [{ field: 'user.email', action: 'derive' }],
  };
  // A tail sampler's "not sampled" verdict carries nulls where it knows nothing.
  const notSampled: DecisionEvent = {
    ...second[0],
    event_id: `sampling:${second[0].decision_id}`,
    event_type: 'decision.sampling',
    payload: {},
    sampling: { trace_sampled: false, adjusted_count: null, policy: null },
  };
  const events = [...first, ...second, sampling, notSampled];
  assert.deepEqual(new Set(events.map((e) => e.event_type)), new Set(['decision.observed', 'decision.linked', 'decision.start', 'decision.sampling']));

  const posted = JSON.parse(encodeDecisionEventsJson(events));
  const parsed = parseCanonicalEvents(posted);
  assert.deepEqual(parsed.errors, []);
  assert.equal(parsed.events.length, events.length);
  assert.deepEqual(
    parsed.events.map((e) => e.event_id),
    events.map((e) => e.event_id),
    'event ids are kept',
  );

  const direct = fold(events);
  const viaApi = fold(parsed.events);
  assert.deepEqual([...viaApi.keys()].sort(), [...direct.keys()].sort());
  for (const [id, record] of direct) assert.deepEqual(viaApi.get(id), record, id);
  assert.deepEqual(
    parsed.events.map((e) => ({ ...e, source: 'x' })),
    events.map((e) => ({ ...e, source: 'x' })),
    "every field of every event survives; only the entry point (source) is the backend's own",
  );
  assert.equal(viaApi.get(`${TRACE}-00000000000000c1`)?.parent_decision_id, 'refund-1');
});
