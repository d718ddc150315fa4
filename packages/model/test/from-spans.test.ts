import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractDecisionEvents } from '../src/from-spans.js';
import { LineageIndex } from '../src/lineage.js';
import { DEFAULT_TENANT, type DecisionEvent } from '../src/event.js';
import { parseJsonExact, stringifyJsonExact } from '../src/exact-json.js';
import { OTHER_TRACE_ID, TRACE_ID, request, span, spanEvent, spanId } from './span-builders.js';

function only(events: DecisionEvent[]): DecisionEvent {
  assert.equal(events.length, 1, `expected one event, got ${events.length}`);
  return events[0];
}

function byDecision(events: DecisionEvent[], decisionId: string): DecisionEvent {
  const found = events.find((event) => event.decision_id === decisionId);
  assert.ok(found, `no event for decision ${decisionId}`);
  return found;
}

test('A: a span with decision.* attributes becomes one decision.observed event', () => {
  const refundSpan = span({
    spanId: spanId(1),
    name: 'approve refund',
    attributes: {
      'decision.type': 'refund.approve.v2',
      'decision.result': 'approved',
      'decision.confidence': 0.92,
      'decision.factors': '{"amount": 120, "customer_tier": "gold"}',
      'decision.alternatives': '["deny", "escalate"]',
      'decision.actor.id': 'refund-bot',
      'decision.actor.type': 'agent',
      'decision.actor.version': '3.1.0',
      'decision.evidence.order_id': 'ord-991',
      'decision.evidence.amount': 120,
      'decision.policy.max_refund': 'pass',
      'decision.policy.fraud_score': 'pass',
      'decision.environment': 'production',
      'http.method': 'POST',
    },
  });
  const event = only(extractDecisionEvents(request([refundSpan])));
  assert.equal(event.event_type, 'decision.observed');
  assert.equal(event.source, 'otlp.span');
  assert.equal(event.decision_id, `${TRACE_ID}-${spanId(1)}`);
  assert.equal(event.event_id, `otlp:${TRACE_ID}:${spanId(1)}`);
  assert.equal(event.decision_type, 'refund.approve.v2');
  assert.equal(event.trace_id, TRACE_ID);
  assert.equal(event.span_id, spanId(1));
  assert.equal(event.tenant_id, DEFAULT_TENANT);
  assert.equal(event.environment, 'production');
  assert.equal(event.service_name, 'refund-service');
  assert.equal(event.schema_version, '1.0');
  assert.equal(event.parent_decision_id, null);
  assert.equal(event.timestamp, '2024-05-01T10:00:00.250Z');
  assert.deepEqual(event.actor, { id: 'refund-bot', type: 'agent', version: '3.1.0', org: null });
  assert.deepEqual(event.causal_links, []);
  assert.equal(event.flags, undefined);
  assert.deepEqual(event.payload, {
    outcome: 'approved',
    confidence: 0.92,
    factors: { amount: 120, customer_tier: 'gold' },
    alternatives: ['deny', 'escalate'],
    evidence: { order_id: 'ord-991', amount: 120 },
    policy_checks: [
      { policy: 'max_refund', result: 'pass' },
      { policy: 'fraud_score', result: 'pass' },
    ],
    start_time: '2024-05-01T10:00:00.000Z',
    end_time: '2024-05-01T10:00:00.250Z',
  });
});

test('A: decision.outcome wins over its alias; decision.version and decision.id are kept', () => {
  const event = only(
    extractDecisionEvents(
      request([
        span({
          spanId: spanId(1),
          attributes: {
            'decision.result': 'denied',
            'decision.type': 'loan.grant',
            'decision.outcome': 'approved',
            'decision.version': 'v7',
            'decision.id': 'loan-42',
            'decision.parent_id': 'application-7',
          },
        }),
      ]),
    ),
  );
  assert.equal(event.payload.outcome, 'approved');
  assert.equal(event.payload.version, 'v7');
  assert.equal(event.decision_id, 'loan-42');
  assert.equal(event.parent_decision_id, 'application-7');
});

test('A: factors as a kvlist and alternatives as a string array are taken as they are', () => {
  const event = only(
    extractDecisionEvents(
      request([
        span({
          spanId: spanId(1),
          attributes: {
            'decision.type': 'route.pick',
            'decision.factors': { latency_ms: 12, region: 'eu-west-1' },
            'decision.alternatives': ['us-east-1', 'ap-south-1'],
          },
        }),
      ]),
    ),
  );
  assert.deepEqual(event.payload.factors, { latency_ms: 12, region: 'eu-west-1' });
  assert.deepEqual(event.payload.alternatives, ['us-east-1', 'ap-south-1']);
  assert.equal(event.flags, undefined);
});

test('A: malformed JSON is kept raw and flagged without echoing the value', () => {
  const secretFactors = '{"card": "4111-1111", oops}';
  const event = only(
    extractDecisionEvents(
      request([
        span({
          spanId: spanId(1),
          attributes: {
            'decision.type': 'fraud.block',
            'decision.factors': secretFactors,
            'decision.alternatives': 'allow or review',
          },
        }),
      ]),
    ),
  );
  assert.equal(event.payload.factors, secretFactors);
  assert.equal(event.payload.alternatives, 'allow or review');
  const flags = event.flags ?? [];
  assert.deepEqual(
    flags.map((flag) => [flag.code, flag.field]),
    [
      ['invalid_json', 'factors'],
      ['invalid_json', 'alternatives'],
    ],
  );
  for (const flag of flags) {
    assert.ok(flag.detail.length > 0);
    assert.ok(!flag.detail.includes('4111') && !flag.detail.includes('allow'), `detail leaks input: ${flag.detail}`);
  }
});

test('A: JSON of the wrong shape is kept raw and flagged as an invalid value', () => {
  const event = only(
    extractDecisionEvents(
      request([
        span({
          spanId: spanId(1),
          attributes: { 'decision.type': 'x', 'decision.factors': '[1, 2]', 'decision.alternatives': '{"a": 1}' },
        }),
      ]),
    ),
  );
  assert.equal(event.payload.factors, '[1, 2]');
  assert.equal(event.payload.alternatives, '{"a": 1}');
  assert.deepEqual(
    event.flags?.map((flag) => [flag.code, flag.field]),
    [
      ['invalid_value', 'factors'],
      ['invalid_value', 'alternatives'],
    ],
  );
});

test('A: confidence as a numeric string becomes a number; out of range and non-numbers are kept and flagged', () => {
  const events = extractDecisionEvents(
    request([
      span({ spanId: spanId(1), attributes: { 'decision.type': 'a', 'decision.confidence': '0.75' } }),
      span({ spanId: spanId(2), attributes: { 'decision.type': 'b', 'decision.confidence': 1.4 } }),
      span({ spanId: spanId(3), attributes: { 'decision.type': 'c', 'decision.confidence': 'high' } }),
    ]),
  );
  const [asText, tooHigh, notNumber] = events;
  assert.equal(asText.payload.confidence, 0.75);
  assert.equal(asText.flags, undefined);
  assert.equal(tooHigh.payload.confidence, 1.4);
  assert.deepEqual(
    tooHigh.flags?.map((flag) => [flag.code, flag.field]),
    [['confidence_out_of_range', 'confidence']],
  );
  assert.equal(notNumber.payload.confidence, 'high');
  assert.deepEqual(
    notNumber.flags?.map((flag) => [flag.code, flag.field]),
    [['invalid_value', 'confidence']],
  );
});

test('A: int64 values beyond 2^53 stay exact bigints (JSON numbers in our JSON), bytes become base64', () => {
  const event = only(
    extractDecisionEvents(
      request([
        span({
          spanId: spanId(1),
          attributes: {
            'decision.type': 'ledger.post',
            'decision.evidence.amount_minor': 9_007_199_254_740_993n,
            'decision.evidence.signature': new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
            'decision.evidence.parts': [1n, new Uint8Array([1])],
          },
        }),
      ]),
    ),
  );
  assert.deepEqual(event.payload.evidence, {
    amount_minor: 9_007_199_254_740_993n,
    signature: '3q2+7w==',
    parts: [1, 'AQ=='],
  });
  const json = stringifyJsonExact(event);
  assert.match(json, /"amount_minor":9007199254740993[,}]/);
  assert.deepEqual(parseJsonExact(json), event);
});

test('A: a decision span with status ERROR carries the error', () => {
  const events = extractDecisionEvents(
    request([
      span({ spanId: spanId(1), attributes: { 'decision.type': 'a' }, status: { code: 2, message: 'upstream timeout' } }),
      span({ spanId: spanId(2), attributes: { 'decision.type': 'b' }, status: { code: 2, message: '' } }),
      span({ spanId: spanId(3), attributes: { 'decision.type': 'c' }, status: { code: 1, message: '' } }),
    ]),
  );
  assert.deepEqual(events[0].payload.error, { message: 'upstream timeout' });
  assert.deepEqual(events[1].payload.error, { message: 'span status ERROR' });
  assert.equal('error' in events[2].payload, false);
});

test('spans without decision keys or decision events produce nothing', () => {
  const events = extractDecisionEvents(
    request([
      span({ spanId: spanId(1), attributes: { 'http.route': '/refunds', 'decision.outcome': 'approved' } }),
      span({ spanId: spanId(2), attributes: { 'decision.type': '' } }),
      span({ spanId: spanId(3), events: [spanEvent('exception', { 'exception.message': 'boom' })] }),
    ]),
  );
  assert.deepEqual(events, []);
});

test('B: each span event named decision is one decision, with ids from its index and its own time', () => {
  const agentSpan = span({
    spanId: spanId(5),
    name: 'agent step',
    events: [
      spanEvent('decision', { 'decision.type': 'tool.select', 'decision.outcome': 'search', 'decision.confidence': 0.6 }, 10n),
      spanEvent('log', { message: 'thinking' }, 20n),
      spanEvent('decision', { 'decision.type': 'answer.finalize.v1', 'decision.id': 'final-1' }, 30n),
    ],
  });
  const events = extractDecisionEvents(request([agentSpan]));
  assert.equal(events.length, 2);
  const [first, second] = events;
  assert.equal(first.source, 'otlp.span_event');
  assert.equal(first.decision_id, `${TRACE_ID}-${spanId(5)}-0`);
  assert.equal(first.event_id, `otlp:${TRACE_ID}:${spanId(5)}:e0`);
  assert.equal(first.timestamp, '2024-05-01T10:00:00.010Z');
  assert.equal(first.span_id, spanId(5));
  assert.deepEqual(first.payload, { outcome: 'search', confidence: 0.6 });
  assert.equal(second.decision_id, 'final-1');
  assert.equal(second.event_id, `otlp:${TRACE_ID}:${spanId(5)}:e2`);
  assert.equal(second.decision_type, 'answer.finalize.v1');
  assert.equal(second.timestamp, '2024-05-01T10:00:00.030Z');
  assert.equal(first.parent_decision_id, null);
});

test('B: decision events on a decision span get that span as parent', () => {
  const events = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        attributes: { 'decision.type': 'claim.settle', 'decision.id': 'claim-1' },
        events: [
          spanEvent('decision', { 'decision.type': 'claim.fraud_check' }),
          spanEvent('decision', { 'decision.type': 'claim.payout', 'decision.parent_id': 'explicit-parent' }),
        ],
      }),
    ]),
  );
  assert.equal(events.length, 3);
  assert.equal(byDecision(events, 'claim-1').parent_decision_id, null);
  assert.equal(byDecision(events, `${TRACE_ID}-${spanId(1)}-0`).parent_decision_id, 'claim-1');
  assert.equal(byDecision(events, `${TRACE_ID}-${spanId(1)}-1`).parent_decision_id, 'explicit-parent');
});

test('B: decision events on a plain span get the nearest ancestor decision', () => {
  const events = extractDecisionEvents(
    request([
      span({ spanId: spanId(1), attributes: { 'decision.type': 'order.route' } }),
      span({
        spanId: spanId(2),
        parentSpanId: spanId(1),
        events: [spanEvent('decision', { 'decision.type': 'carrier.pick' })],
      }),
    ]),
  );
  assert.equal(byDecision(events, `${TRACE_ID}-${spanId(2)}-0`).parent_decision_id, `${TRACE_ID}-${spanId(1)}`);
});

test('lineage: the parent is found through three non-decision spans, whatever the order in the request', () => {
  const spans = [
    span({ spanId: spanId(5), parentSpanId: spanId(4), attributes: { 'decision.type': 'tool.call' } }),
    span({ spanId: spanId(3), parentSpanId: spanId(2), name: 'llm chat' }),
    span({ spanId: spanId(1), attributes: { 'decision.type': 'agent.plan', 'decision.id': 'plan-1' } }),
    span({ spanId: spanId(4), parentSpanId: spanId(3), name: 'tool router' }),
    span({ spanId: spanId(2), parentSpanId: spanId(1), name: 'HTTP POST' }),
  ];
  const events = extractDecisionEvents(request(spans));
  assert.equal(events.length, 2);
  assert.equal(byDecision(events, `${TRACE_ID}-${spanId(5)}`).parent_decision_id, 'plan-1');
  assert.equal(byDecision(events, 'plan-1').parent_decision_id, null);
});

test('lineage: a shared index links decisions across requests, per trace', () => {
  const lineage = new LineageIndex();
  extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'agent.plan' } })]), {
    lineage,
  });
  extractDecisionEvents(request([span({ spanId: spanId(2), parentSpanId: spanId(1) })]), { lineage });
  const later = extractDecisionEvents(
    request([
      span({ spanId: spanId(3), parentSpanId: spanId(2), attributes: { 'decision.type': 'tool.call' } }),
      span({
        traceId: OTHER_TRACE_ID,
        spanId: spanId(4),
        parentSpanId: spanId(2),
        attributes: { 'decision.type': 'tool.call' },
      }),
    ]),
    { lineage },
  );
  assert.equal(later[0].parent_decision_id, `${TRACE_ID}-${spanId(1)}`);
  assert.equal(later[1].parent_decision_id, null);
});

test('lineage: a trace split across three requests in reverse order still links the child decision', () => {
  const lineage = new LineageIndex();
  // Request 1: the grandchild decision, whose parent span has not been seen.
  const first = extractDecisionEvents(
    request([span({ spanId: spanId(3), parentSpanId: spanId(2), attributes: { 'decision.type': 'tool.call', 'decision.tenant_id': 'acme' } })]),
    { lineage },
  );
  assert.equal(first.length, 1);
  assert.equal(first[0].parent_decision_id, null);
  // Request 2: the non-decision span in between; its own parent is still missing.
  assert.deepEqual(extractDecisionEvents(request([span({ spanId: spanId(2), parentSpanId: spanId(1) })]), { lineage }), []);
  // Request 3: the decision span at the top arrives.
  const third = extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'agent.plan' } })]), { lineage });
  const link = third.find((e) => e.event_type === 'decision.linked');
  assert.ok(link, JSON.stringify(third));
  assert.equal(link.decision_id, first[0].decision_id);
  assert.equal(link.parent_decision_id, `${TRACE_ID}-${spanId(1)}`);
  assert.equal(link.tenant_id, 'acme', "the link belongs to the waiting decision's tenant");
  assert.equal(link.event_id, `lineage:${first[0].decision_id}`);
  assert.equal(link.timestamp, first[0].timestamp, "the link reuses the decision's own time");
  // Nothing is linked twice.
  assert.deepEqual(
    extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'agent.plan' } })]), { lineage }).filter(
      (e) => e.event_type === 'decision.linked',
    ),
    [],
  );
});

test('lineage: a decision whose chain reaches a root without a decision waits for nothing', () => {
  const lineage = new LineageIndex();
  extractDecisionEvents(request([span({ spanId: spanId(1) }), span({ spanId: spanId(2), parentSpanId: spanId(1), attributes: { 'decision.type': 'x' } })]), {
    lineage,
  });
  const later = extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'late.root' } })]), { lineage });
  assert.deepEqual(
    later.filter((e) => e.event_type === 'decision.linked'),
    [],
    'the chain was complete when the child arrived',
  );
});

// Input C (dt.* spans) is tested in from-dt-spans.test.ts.

test('the authenticated tenant overrides the tenant claimed by the spans', () => {
  const events = extractDecisionEvents(
    request([
      span({ spanId: spanId(1), attributes: { 'decision.type': 'a', 'decision.tenant_id': 'mallory' } }),
      span({ spanId: spanId(2), attributes: { 'dt.decision_id': 'd', 'dt.tenant_id': 'mallory' } }),
      span({ spanId: spanId(3), events: [spanEvent('decision', { 'decision.tenant_id': 'mallory' })] }),
    ]),
    { tenant: 'acme' },
  );
  assert.equal(events.length, 3);
  assert.deepEqual(
    events.map((event) => event.tenant_id),
    ['acme', 'acme', 'acme'],
  );
  const unauthenticated = extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 'a', 'decision.tenant_id': 'globex' } })]));
  assert.equal(unauthenticated[0].tenant_id, 'globex');
});

test('redelivery of the same spans yields identical events', () => {
  const build = () =>
    request([
      span({ spanId: spanId(1), attributes: { 'decision.type': 'agent.plan', 'decision.factors': '{"a":1' } }),
      span({ spanId: spanId(2), parentSpanId: spanId(1), name: 'llm' }),
      span({
        spanId: spanId(3),
        parentSpanId: spanId(2),
        attributes: { 'decision.type': 'tool.call', 'decision.confidence': 3 },
        events: [spanEvent('decision', { 'decision.type': 'arg.pick' })],
      }),
      span({ spanId: spanId(4), parentSpanId: spanId(3), attributes: { 'dt.decision_id': 'd9', 'dt.event_type': 'decision.outcome' } }),
    ]);
  const lineage = new LineageIndex();
  const first = extractDecisionEvents(build(), { lineage });
  const second = extractDecisionEvents(build(), { lineage });
  const withFreshIndex = extractDecisionEvents(build());
  assert.equal(first.length, 4);
  assert.deepEqual(second, first);
  assert.deepEqual(withFreshIndex, first);
  assert.equal(new Set(first.map((event) => event.event_id)).size, 4);
  assert.equal(JSON.stringify(second), JSON.stringify(first));
});

test('environment falls back to the resource deployment environment', () => {
  const events = extractDecisionEvents(
    request(
      [
        span({ spanId: spanId(1), attributes: { 'decision.type': 'a' } }),
        span({ spanId: spanId(2), attributes: { 'decision.type': 'b', 'decision.environment': 'canary' } }),
      ],
      { 'service.name': 'pricing', 'deployment.environment.name': 'prod' },
    ),
  );
  assert.deepEqual(
    events.map((event) => [event.environment, event.service_name]),
    [
      ['prod', 'pricing'],
      ['canary', 'pricing'],
    ],
  );
});

test('causal links from decision.links, dt.causal_links and span links; malformed ones are flagged', () => {
  const events = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        attributes: {
          'decision.type': 'refund.approve',
          'decision.links': JSON.stringify([
            { type: 'depends_on', target_decision_id: 'kyc-1' },
            { type: 'teleports_to', target_decision_id: 'x' },
          ]),
        },
        links: [
          {
            traceId: OTHER_TRACE_ID,
            spanId: spanId(9),
            traceState: '',
            attributes: { 'decision.link.type': 'triggered_by', 'decision.link.target_id': 'alert-7' },
            droppedAttributesCount: 0,
            flags: 0,
          },
        ],
      }),
      span({
        spanId: spanId(2),
        attributes: {
          'dt.decision_id': 'refund-2',
          'dt.event_type': 'decision.start',
          'dt.causal_links': JSON.stringify([{ type: 'compensates', target_decision_id: 'refund-1' }]),
        },
      }),
    ]),
  );
  assert.deepEqual(events[0].causal_links, [
    { type: 'depends_on', target_decision_id: 'kyc-1' },
    { type: 'triggered_by', target_decision_id: 'alert-7' },
  ]);
  assert.ok(events[0].flags?.some((f) => f.field === 'decision.links' && f.code === 'invalid_value'));
  assert.deepEqual(events[1].causal_links, [{ type: 'compensates', target_decision_id: 'refund-1' }]);
});
