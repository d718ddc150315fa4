import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent } from '@decision-trace/model';
import { ManualClock } from '../src/clock.js';
import { buildPolicy } from '../src/tail/policies/build-policy.js';
import type { PolicyConfig } from '../src/tail/policy-config.js';
import type { TraceData } from '../src/tail/trace-data.js';
import { decisionEvent, randomTraceId, span, traceOf } from './spans.js';

const clock = new ManualClock(1_000_000);
const evaluate = (config: PolicyConfig, trace: TraceData) => buildPolicy(config, clock).evaluate(trace);
const ms = (n: number) => BigInt(n) * 1_000_000n;

function withDuration(durationMs: number): TraceData {
  const start = 1_700_000_000_000_000_000n;
  return traceOf([span({ startTimeUnixNano: start, endTimeUnixNano: start + ms(1) }), span({ startTimeUnixNano: start + ms(1), endTimeUnixNano: start + ms(durationMs) })]);
}

test('always_sample samples', () => {
  assert.equal(evaluate({ name: 'a', type: 'always_sample' }, traceOf([span()])), 'sampled');
});

test('latency: at least threshold_ms without upper bound; above threshold and at most upper with one', () => {
  const lower = { name: 'l', type: 'latency', latency: { threshold_ms: 100, upper_threshold_ms: 0 } } as const;
  assert.equal(evaluate(lower, withDuration(100)), 'sampled');
  assert.equal(evaluate(lower, withDuration(99)), 'not_sampled');
  const band = { name: 'b', type: 'latency', latency: { threshold_ms: 100, upper_threshold_ms: 200 } } as const;
  assert.equal(evaluate(band, withDuration(100)), 'not_sampled');
  assert.equal(evaluate(band, withDuration(101)), 'sampled');
  assert.equal(evaluate(band, withDuration(200)), 'sampled');
  assert.equal(evaluate(band, withDuration(201)), 'not_sampled');
});

test('numeric_attribute: inclusive bounds on span or resource attributes; invert_match', () => {
  const config = (invert = false): PolicyConfig => ({ name: 'n', type: 'numeric_attribute', numeric_attribute: { key: 'http.status', min_value: 400, max_value: 499, invert_match: invert } });
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 400 } })])), 'sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 499 } })])), 'sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 500 } })])), 'not_sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 399n } })])), 'not_sampled');
  assert.equal(evaluate(config(), traceOf([span()], { 'http.status': 404 })), 'sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': '404' } })])), 'not_sampled');
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { 'http.status': 404 } })])), 'invert_not_sampled');
  assert.equal(evaluate(config(true), traceOf([span()])), 'invert_sampled');
  const onlyMin: PolicyConfig = { name: 'm', type: 'numeric_attribute', numeric_attribute: { key: 'x', min_value: 10, invert_match: false } };
  assert.equal(evaluate(onlyMin, traceOf([span({ attributes: { x: 1e9 } })])), 'sampled');
});

test('string_attribute: exact values, regex values (unanchored, cached), invert_match', () => {
  const exact: PolicyConfig = { name: 's', type: 'string_attribute', string_attribute: { key: 'route', values: ['/a', '/b'], enabled_regex_matching: false, cache_max_size: 0, invert_match: false } };
  assert.equal(evaluate(exact, traceOf([span({ attributes: { route: '/b' } })])), 'sampled');
  assert.equal(evaluate(exact, traceOf([span({ attributes: { route: '/bb' } })])), 'not_sampled');
  assert.equal(evaluate(exact, traceOf([span()], { route: '/a' })), 'sampled');
  const regex: PolicyConfig = { name: 'r', type: 'string_attribute', string_attribute: { key: 'route', values: ['^/health', 'metrics'], enabled_regex_matching: true, cache_max_size: 2, invert_match: false } };
  const policy = buildPolicy(regex, clock);
  for (let i = 0; i < 2; i++) {
    assert.equal(policy.evaluate(traceOf([span({ attributes: { route: '/healthz' } })])), 'sampled');
    assert.equal(policy.evaluate(traceOf([span({ attributes: { route: '/api/metrics/x' } })])), 'sampled');
    assert.equal(policy.evaluate(traceOf([span({ attributes: { route: '/api/health' } })])), 'not_sampled');
  }
  const invert: PolicyConfig = { ...exact, string_attribute: { ...exact.string_attribute, invert_match: true } } as PolicyConfig;
  assert.equal(evaluate(invert, traceOf([span({ attributes: { route: '/a' } })])), 'invert_not_sampled');
  assert.equal(evaluate(invert, traceOf([span({ attributes: { route: '/c' } })])), 'invert_sampled');
});

test('boolean_attribute matches the configured value; invert_match', () => {
  const config = (value: boolean, invert = false): PolicyConfig => ({ name: 'b', type: 'boolean_attribute', boolean_attribute: { key: 'force', value, invert_match: invert } });
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { force: true } })])), 'sampled');
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { force: false } })])), 'not_sampled');
  assert.equal(evaluate(config(false), traceOf([span({ attributes: { force: false } })])), 'sampled');
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { force: 'true' } })])), 'not_sampled');
  assert.equal(evaluate(config(true, true), traceOf([span({ attributes: { force: true } })])), 'invert_not_sampled');
});

test('status_code samples traces with a span of a listed status', () => {
  const config: PolicyConfig = { name: 'e', type: 'status_code', status_code: { status_codes: ['ERROR'] } };
  assert.equal(evaluate(config, traceOf([span(), span({ status: { code: 2, message: 'boom' } })])), 'sampled');
  assert.equal(evaluate(config, traceOf([span({ status: { code: 1, message: '' } })])), 'not_sampled');
  const unset: PolicyConfig = { name: 'u', type: 'status_code', status_code: { status_codes: ['UNSET', 'OK'] } };
  assert.equal(evaluate(unset, traceOf([span()])), 'sampled');
});

test('span_count: inclusive min and max; max 0 means no upper bound', () => {
  const traceId = randomTraceId();
  const spans = (n: number) => traceOf(Array.from({ length: n }, () => span({ traceId })));
  const band: PolicyConfig = { name: 'c', type: 'span_count', span_count: { min_spans: 2, max_spans: 3 } };
  assert.equal(evaluate(band, spans(1)), 'not_sampled');
  assert.equal(evaluate(band, spans(2)), 'sampled');
  assert.equal(evaluate(band, spans(3)), 'sampled');
  assert.equal(evaluate(band, spans(4)), 'not_sampled');
  assert.equal(evaluate({ name: 'c', type: 'span_count', span_count: { min_spans: 2, max_spans: 0 } }, spans(40)), 'sampled');
});

test('trace_state matches a key with one of the values', () => {
  const config: PolicyConfig = { name: 't', type: 'trace_state', trace_state: { key: 'vendor', values: ['gold', 'silver'] } };
  assert.equal(evaluate(config, traceOf([span({ traceState: 'ot=th:8,vendor=gold' })])), 'sampled');
  assert.equal(evaluate(config, traceOf([span({ traceState: 'vendor=bronze' })])), 'not_sampled');
  assert.equal(evaluate(config, traceOf([span({ traceState: 'other=gold' })])), 'not_sampled');
});

test('trace_flags samples when any span has the sampled flag', () => {
  const config: PolicyConfig = { name: 'f', type: 'trace_flags' };
  assert.equal(evaluate(config, traceOf([span({ flags: 0 }), span({ flags: 1 })])), 'sampled');
  assert.equal(evaluate(config, traceOf([span({ flags: 0 })])), 'not_sampled');
});

test('probabilistic: 0% never, 100% always, the ratio in between, deterministic per trace id and salt', () => {
  const config = (p: number, salt = ''): PolicyConfig => ({ name: 'p', type: 'probabilistic', probabilistic: { hash_salt: salt, sampling_percentage: p } });
  let kept = 0;
  const ten = buildPolicy(config(10), clock);
  const twenty = buildPolicy(config(20), clock);
  for (let i = 0; i < 20_000; i++) {
    const trace = traceOf([span()]);
    assert.equal(evaluate(config(0), trace), 'not_sampled');
    assert.equal(evaluate(config(100), trace), 'sampled');
    if (ten.evaluate(trace) === 'sampled') {
      kept++;
      assert.equal(twenty.evaluate(trace), 'sampled', 'same salt: 10% ⊂ 20%');
    }
  }
  assert.ok(kept > 1_800 && kept < 2_200, `kept ${kept}`);
  assert.equal(ten.adjustedCount, 10);
});

test('rate_limiting admits traces while the spans of this second stay below spans_per_second', () => {
  const local = new ManualClock(5_000);
  const policy = buildPolicy({ name: 'r', type: 'rate_limiting', rate_limiting: { spans_per_second: 10 } }, local);
  const traceId = randomTraceId();
  const fourSpans = traceOf(Array.from({ length: 4 }, () => span({ traceId })));
  assert.equal(policy.evaluate(fourSpans), 'sampled'); // 4 < 10
  assert.equal(policy.evaluate(fourSpans), 'sampled'); // 8 < 10
  assert.equal(policy.evaluate(fourSpans), 'not_sampled'); // 12
  assert.equal(policy.evaluate(traceOf([span()])), 'sampled'); // 9 < 10
  assert.equal(policy.evaluate(traceOf([span()])), 'not_sampled'); // 10 is not below 10
  local.advance(1_000);
  assert.equal(policy.evaluate(fourSpans), 'sampled');
});

test('bytes_limiting spends the trace encoded size from a token bucket', () => {
  const local = new ManualClock(0);
  const trace = traceOf([span({ attributes: { payload: 'x'.repeat(900) } })]);
  const policy = buildPolicy({ name: 'b', type: 'bytes_limiting', bytes_limiting: { bytes_per_second: 1000, burst_capacity: 2000 } }, local);
  assert.equal(policy.evaluate(trace), 'sampled');
  assert.equal(policy.evaluate(trace), 'sampled');
  assert.equal(policy.evaluate(trace), 'not_sampled');
  local.advance(1_000);
  assert.equal(policy.evaluate(trace), 'sampled');
});

test('and, not and drop combine sub-policies', () => {
  const always = { name: 'a', type: 'always_sample' } as const;
  const errors = { name: 'e', type: 'status_code', status_code: { status_codes: ['ERROR'] } } as const;
  const ok = traceOf([span()]);
  const failed = traceOf([span({ status: { code: 2, message: '' } })]);
  const and: PolicyConfig = { name: 'and', type: 'and', and: { and_sub_policy: [always, errors] } };
  assert.equal(evaluate(and, failed), 'sampled');
  assert.equal(evaluate(and, ok), 'not_sampled');
  const not: PolicyConfig = { name: 'not', type: 'not', not: { not_sub_policy: errors } };
  assert.equal(evaluate(not, ok), 'sampled');
  assert.equal(evaluate(not, failed), 'not_sampled');
  const drop: PolicyConfig = { name: 'drop', type: 'drop', drop: { drop_sub_policy: [errors] } };
  assert.equal(evaluate(drop, failed), 'dropped');
  assert.equal(evaluate(drop, ok), 'not_sampled');
  // Inverted decisions inside and: a veto is a no.
  const inverted = { name: 'i', type: 'string_attribute', string_attribute: { key: 'k', values: ['v'], enabled_regex_matching: false, cache_max_size: 0, invert_match: true } } as const;
  const andInverted: PolicyConfig = { name: 'ai', type: 'and', and: { and_sub_policy: [always, inverted] } };
  assert.equal(evaluate(andInverted, traceOf([span({ attributes: { k: 'v' } })])), 'not_sampled');
  assert.equal(evaluate(andInverted, traceOf([span({ attributes: { k: 'w' } })])), 'sampled');
});

test('composite: the first matching member decides within its allocation of spans per second', () => {
  const local = new ManualClock(10_000);
  const policy = buildPolicy(
    {
      name: 'c',
      type: 'composite',
      composite: {
        max_total_spans_per_second: 10,
        policy_order: ['errors', 'everything'],
        composite_sub_policy: [
          { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          { name: 'everything', type: 'always_sample' },
        ],
        rate_allocation: [
          { policy: 'errors', percent: 50 },
          { policy: 'everything', percent: 30 },
        ],
      },
    },
    local,
  );
  const failed = () => traceOf([span({ status: { code: 2, message: '' } })]);
  const ok = () => traceOf([span()]);
  for (let i = 0; i < 5; i++) assert.equal(policy.evaluate(failed()), 'sampled', `error trace ${i}`);
  // The errors member is full: its match decides "not sampled", the next member is not asked.
  assert.equal(policy.evaluate(failed()), 'not_sampled');
  for (let i = 0; i < 3; i++) assert.equal(policy.evaluate(ok()), 'sampled');
  assert.equal(policy.evaluate(ok()), 'not_sampled');
  local.advance(1_000);
  assert.equal(policy.evaluate(failed()), 'sampled');
});

test('decision policy: type/version globs, outcome, confidence strictly below/above, actor, violations, status', () => {
  const traceId = randomTraceId();
  const trace = traceOf([span({ traceId })]);
  const record = (payload: Record<string, unknown>, overrides = {}) =>
    applyEvent(undefined, decisionEvent({ trace_id: traceId, payload, actor: { id: 'a1', type: 'agent', version: null, org: null }, ...overrides }));
  trace.decisions.set('acme\u0000d1', record({ outcome: 'approved', confidence: 0.7, policy_checks: [{ policy: 'limit', result: 'pass' }] }));
  const match = (decision: Record<string, unknown>) => evaluate({ name: 'd', type: 'decision', decision } as PolicyConfig, trace);

  assert.equal(match({ type: 'refund.*', outcome: ['approved'] }), 'sampled');
  assert.equal(match({ type: 'refund.approve' }), 'sampled');
  assert.equal(match({ type: 'refund.approve.v2' }), 'sampled');
  assert.equal(match({ type: 'refund.deny' }), 'not_sampled');
  assert.equal(match({ version: 'v*' }), 'sampled');
  assert.equal(match({ version: 'v3' }), 'not_sampled');
  assert.equal(match({ outcome: ['den*'] }), 'not_sampled');
  assert.equal(match({ confidence_below: 0.7 }), 'not_sampled', 'strictly below');
  assert.equal(match({ confidence_below: 0.71 }), 'sampled');
  assert.equal(match({ confidence_above: 0.7 }), 'not_sampled', 'strictly above');
  assert.equal(match({ confidence_above: 0.69 }), 'sampled');
  assert.equal(match({ actor_type: ['agent'] }), 'sampled');
  assert.equal(match({ actor_type: ['human'] }), 'not_sampled');
  assert.equal(match({ has_violations: false }), 'sampled');
  assert.equal(match({ has_violations: true }), 'not_sampled');
  assert.equal(match({ status: 'decided' }), 'sampled');
  assert.equal(match({ status: 'errored' }), 'not_sampled');
  // All conditions must hold for the same decision.
  assert.equal(match({ outcome: ['approved'], confidence_below: 0.5 }), 'not_sampled');

  trace.decisions.set('acme\u0000d2', record({ policy_checks: [{ policy: 'fraud', result: 'fail' }], error: { message: 'timeout' } }, { decision_type: 'fraud.screen' }));
  assert.equal(match({ has_violations: true }), 'sampled');
  assert.equal(match({ status: 'errored', type: 'fraud.*' }), 'sampled');
  assert.equal(match({ status: 'errored', type: 'refund.*' }), 'not_sampled');
});
