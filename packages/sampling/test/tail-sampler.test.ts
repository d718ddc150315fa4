import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadonlyResourceSpans } from '@decision-trace/model';
import { ManualClock } from '../src/clock.js';
import { TailSampler, type TailSamplerConfig } from '../src/tail/tail-sampler.js';
import type { PolicyConfig } from '../src/tail/policy-config.js';
import { decisionEvent, randomTraceId, resourceSpans, span } from './spans.js';

const errors: PolicyConfig = { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } };
const forced: PolicyConfig = { name: 'forced', type: 'boolean_attribute', boolean_attribute: { key: 'force', value: true, invert_match: false } };
const dropHealth: PolicyConfig = {
  name: 'no-health',
  type: 'drop',
  drop: {
    drop_sub_policy: [
      {
        name: 'health',
        type: 'string_attribute',
        string_attribute: { key: 'route', values: ['/health'], enabled_regex_matching: false, cache_max_size: 0, invert_match: false },
      },
    ],
  },
};

function sampler(policies: PolicyConfig[], overrides: Partial<TailSamplerConfig> = {}, clock = new ManualClock(1_000)) {
  const config: TailSamplerConfig = {
    decision_wait: 1_000,
    decision_wait_after_root_received: 0,
    num_traces: 100,
    decision_cache: { sampled_cache_size: 0, non_sampled_cache_size: 0 },
    sample_on_first_match: false,
    policies,
    ...overrides,
  };
  return { tail: new TailSampler(config, clock), clock };
}

const spanCount = (batches: readonly ReadonlyResourceSpans[]) => batches.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);

test('spans are held for decision_wait, then the sampled trace is released whole', () => {
  const { tail, clock } = sampler([errors]);
  const traceId = randomTraceId();
  const other = randomTraceId();
  const first = tail.ingest([resourceSpans([span({ traceId }), span({ traceId: other })])]);
  assert.equal(first.spanCount, 0, 'nothing is forwarded before the decision');
  clock.advance(500);
  tail.ingest([resourceSpans([span({ traceId, status: { code: 2, message: 'x' } })])]);
  assert.equal(tail.tracesInMemory, 2);
  clock.advance(499);
  assert.deepEqual(tail.decideDue(), [], 'the wait counts from the first span');
  clock.advance(1);
  const released = tail.decideDue();
  const byId = new Map(released.map((r) => [r.traceId, r]));
  assert.equal(byId.get(traceId)?.verdict.decision, 'sampled');
  assert.equal(byId.get(traceId)?.verdict.policy, 'errors');
  assert.equal(spanCount(byId.get(traceId)!.resourceSpans), 2);
  assert.equal(byId.get(other)?.verdict.decision, 'not_sampled');
  assert.equal(spanCount(byId.get(other)!.resourceSpans), 0);
  assert.equal(tail.tracesInMemory, 0);
  assert.deepEqual(tail.metrics.finalDecisions, { sampled: 1, not_sampled: 1, dropped: 0 });
  assert.equal(tail.metrics.policyDecisions.errors.sampled, 1);
});

test('precedence: drop first, then any sampled, else not sampled', () => {
  const { tail, clock } = sampler([forced, errors, dropHealth]);
  const dropped = randomTraceId();
  const sampled = randomTraceId();
  const neither = randomTraceId();
  tail.ingest([
    resourceSpans([
      span({ traceId: dropped, attributes: { route: '/health', force: true } }),
      span({ traceId: sampled, attributes: { force: false }, status: { code: 2, message: '' } }),
      span({ traceId: neither }),
    ]),
  ]);
  clock.advance(1_000);
  const verdicts = new Map(tail.decideDue().map((r) => [r.traceId, r.verdict]));
  assert.deepEqual(verdicts.get(dropped), { decision: 'dropped', policy: 'no-health', adjustedCount: null });
  assert.deepEqual(verdicts.get(sampled), { decision: 'sampled', policy: 'errors', adjustedCount: null });
  assert.deepEqual(verdicts.get(neither), { decision: 'not_sampled', policy: null, adjustedCount: null });
  // The drop policy, though configured last, was evaluated first and stopped the others.
  assert.equal(tail.metrics.policyDecisions.forced.sampled, 0);
});

test('an inverted match is a plain "not sampled" (no veto), as in the Collector v0.161.0 where invert_match no longer returns inverted decisions', () => {
  const notAcme: PolicyConfig = {
    name: 'not-acme',
    type: 'string_attribute',
    string_attribute: { key: 'team', values: ['acme'], enabled_regex_matching: false, cache_max_size: 0, invert_match: true },
  };
  const { tail, clock } = sampler([notAcme, { name: 'all', type: 'always_sample' }]);
  const acme = randomTraceId();
  const other = randomTraceId();
  tail.ingest([resourceSpans([span({ traceId: acme, attributes: { team: 'acme' } }), span({ traceId: other, attributes: { team: 'b' } })])]);
  clock.advance(1_000);
  const verdicts = new Map(tail.decideDue().map((r) => [r.traceId, r.verdict]));
  // always_sample samples it: the inverted match no longer vetoes.
  assert.equal(verdicts.get(acme)?.decision, 'sampled');
  assert.equal(verdicts.get(acme)?.policy, 'all');
  assert.equal(verdicts.get(other)?.decision, 'sampled');
  assert.equal(verdicts.get(other)?.policy, 'not-acme');

  const alone = sampler([notAcme, errors]);
  const otherAlone = randomTraceId();
  alone.tail.ingest([resourceSpans([span({ traceId: otherAlone, attributes: { team: 'b' } })])]);
  alone.clock.advance(1_000);
  // The inverted policy samples on its own, whatever errors said.
  assert.equal(alone.tail.decideDue()[0].verdict.decision, 'sampled');
});

test('sample_on_first_match stops at the first policy that samples', () => {
  const { tail, clock } = sampler([forced, errors], { sample_on_first_match: true });
  const traceId = randomTraceId();
  tail.ingest([resourceSpans([span({ traceId, attributes: { force: true }, status: { code: 2, message: '' } })])]);
  clock.advance(1_000);
  assert.equal(tail.decideDue()[0].verdict.policy, 'forced');
  assert.equal(tail.metrics.policyDecisions.errors.sampled + tail.metrics.policyDecisions.errors.not_sampled, 0);
});

test('late spans follow the decision: forwarded at once when sampled, dropped when not', () => {
  const { tail, clock } = sampler([errors]);
  const kept = randomTraceId();
  const dropped = randomTraceId();
  tail.ingest([resourceSpans([span({ traceId: kept, status: { code: 2, message: '' } }), span({ traceId: dropped })])]);
  clock.advance(1_000);
  tail.decideDue();
  const late = tail.ingest([resourceSpans([span({ traceId: kept }), span({ traceId: dropped, status: { code: 2, message: '' } })])]);
  assert.equal(late.spanCount, 1);
  assert.equal(late.resourceSpans[0].scopeSpans[0].spans[0].traceId, kept);
  assert.equal(late.verdicts.get(kept)?.decision, 'sampled');
  assert.equal(late.verdicts.get(dropped)?.decision, 'not_sampled', 'an error span arriving late does not change the verdict');
  assert.equal(tail.metrics.lateSpans, 2);
  assert.equal(tail.tracesInMemory, 0);
});

test('the decision cache keeps verdicts after the trace itself left memory', () => {
  const { tail, clock } = sampler([errors], { num_traces: 2, decision_cache: { sampled_cache_size: 10, non_sampled_cache_size: 10 } });
  const kept = randomTraceId();
  tail.ingest([resourceSpans([span({ traceId: kept, status: { code: 2, message: '' } })])]);
  clock.advance(1_000);
  tail.decideDue();
  // Two newer traces push the decided one out of memory.
  tail.ingest([resourceSpans([span(), span()])]);
  assert.equal(tail.tracesTracked, 2);
  const late = tail.ingest([resourceSpans([span({ traceId: kept })])]);
  assert.equal(late.spanCount, 1, 'forwarded from the sampled cache');
  assert.equal(tail.tracesTracked, 2, 'no new trace was started');

  const noCache = sampler([errors], { num_traces: 2 });
  const k2 = randomTraceId();
  noCache.tail.ingest([resourceSpans([span({ traceId: k2, status: { code: 2, message: '' } })])]);
  noCache.clock.advance(1_000);
  noCache.tail.decideDue();
  noCache.tail.ingest([resourceSpans([span(), span()])]);
  const again = noCache.tail.ingest([resourceSpans([span({ traceId: k2 })])]);
  assert.equal(again.spanCount, 0, 'without a cache the late span starts a new trace');
  assert.ok(
    noCache.tail.decideAll().some((r) => r.traceId === k2),
    'k2 is waiting for a second decision',
  );
});

test('num_traces bounds memory: the oldest trace is evicted first and counted when undecided', () => {
  const { tail } = sampler([{ name: 'all', type: 'always_sample' }], { num_traces: 3 });
  const ids = Array.from({ length: 5 }, () => randomTraceId());
  const event = decisionEvent({ trace_id: ids[0], decision_id: 'first-decision' });
  tail.ingest([resourceSpans([span({ traceId: ids[0] })])], [event]);
  const result = tail.ingest([resourceSpans(ids.slice(1).map((traceId) => span({ traceId })))]);
  assert.equal(tail.tracesTracked, 3);
  assert.deepEqual(
    result.evicted.map((r) => r.traceId),
    ids.slice(0, 2),
  );
  assert.equal(result.evicted[0].reason, 'evicted');
  assert.equal(result.evicted[0].verdict.decision, 'not_sampled');
  assert.deepEqual(
    result.evicted[0].decisions.map((d) => d.id),
    ['first-decision'],
    'its decisions are reported so their records learn',
  );
  assert.equal(tail.metrics.evictedBeforeDecision, 2);
  const rest = tail.decideAll();
  assert.deepEqual(rest.map((r) => r.traceId).sort(), ids.slice(2).sort());
});

test('decision_wait_after_root_received decides sooner once the root span is in', () => {
  const { tail, clock } = sampler([{ name: 'all', type: 'always_sample' }], { decision_wait: 10_000, decision_wait_after_root_received: 200 });
  const withRoot = randomTraceId();
  const withoutRoot = randomTraceId();
  tail.ingest([resourceSpans([span({ traceId: withRoot }), span({ traceId: withoutRoot })])]);
  clock.advance(100);
  tail.ingest([resourceSpans([span({ traceId: withRoot, parentSpanId: '' })])]);
  clock.advance(199);
  assert.deepEqual(tail.decideDue(), []);
  clock.advance(1);
  const early = tail.decideDue();
  assert.deepEqual(
    early.map((r) => r.traceId),
    [withRoot],
  );
  assert.equal(early[0].spanCount, 2);
  assert.equal(tail.metrics.decidedAfterRoot, 1);
  assert.equal(tail.nextDueAt(), 1_000 + 10_000);
  clock.advance(10_000);
  assert.deepEqual(
    tail.decideDue().map((r) => r.traceId),
    [withoutRoot],
  );
});

test('decision events are folded per trace for decision policies; late events get the verdict', () => {
  const risky: PolicyConfig = { name: 'risky', type: 'decision', decision: { type: 'refund.*', outcome: ['approved'], confidence_below: 0.7 } };
  const { tail, clock } = sampler([risky]);
  const traceId = randomTraceId();
  const spanId = 'bbbbbbbbbbbbbbbb';
  tail.ingest(
    [resourceSpans([span({ traceId, spanId })])],
    [decisionEvent({ trace_id: traceId, span_id: spanId, decision_id: 'r1', payload: { outcome: 'approved' } })],
  );
  tail.ingest([], [decisionEvent({ trace_id: traceId, decision_id: 'r1', event_type: 'decision.outcome', payload: { status: 'approved', confidence: 0.6 } })]);
  clock.advance(1_000);
  const [released] = tail.decideDue();
  assert.equal(released.verdict.decision, 'sampled');
  assert.equal(released.verdict.policy, 'risky');
  assert.equal(released.decisions.length, 1);
  assert.equal(released.decisions[0].confidence, 0.6);
  const late = tail.ingest([], [decisionEvent({ trace_id: traceId, decision_id: 'r2' })]);
  assert.equal(late.verdicts.get(traceId)?.decision, 'sampled');
});

test('decideAll at shutdown decides what is buffered, or drops it when asked', () => {
  const { tail } = sampler([{ name: 'all', type: 'always_sample' }]);
  tail.ingest([resourceSpans([span(), span()])]);
  assert.deepEqual(
    tail.decideAll().map((r) => r.verdict.decision),
    ['sampled', 'sampled'],
  );
  const dropping = sampler([{ name: 'all', type: 'always_sample' }], { drop_pending_traces_on_shutdown: true });
  dropping.tail.ingest([resourceSpans([span()])]);
  const [released] = dropping.tail.decideAll();
  assert.equal(released.reason, 'shutdown');
  assert.equal(released.verdict.decision, 'not_sampled');
});

test('num_traces under churn: thousands of traces later, each new trace still pushes out exactly the oldest one', () => {
  const { tail, clock } = sampler([{ name: 'all', type: 'always_sample' }], { num_traces: 50 });
  const ids = Array.from({ length: 5_000 }, () => randomTraceId());
  const evicted: string[] = [];
  ids.forEach((traceId, i) => {
    evicted.push(...tail.ingest([resourceSpans([span({ traceId })])]).evicted.map((r) => r.traceId));
    // Some traces are decided (and stay tracked with their verdict), some are not.
    if (i % 7 === 0) {
      clock.advance(1_000);
      tail.decideDue();
    }
  });
  assert.equal(tail.tracesTracked, 50);
  // Only undecided traces are reported as evicted, and always in arrival order.
  const order = new Map(ids.map((id, i) => [id, i]));
  for (let i = 1; i < evicted.length; i++) assert.ok(order.get(evicted[i - 1])! < order.get(evicted[i])!, 'evicted in arrival order');
  const tracked = new Set(tail.decideAll().map((r) => r.traceId));
  for (const id of tracked) assert.ok(order.get(id)! >= ids.length - 50, 'only the newest 50 are still tracked');
});
