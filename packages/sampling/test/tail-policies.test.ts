import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, noteIntegralDouble } from '@decision-trace/model';
import { makeResourceSpans } from '@decision-trace/model/testing';
import { ManualClock } from '../src/clock.js';
import { buildPolicy } from '../src/tail/policies/build-policy.js';
import type { LeafPolicyConfig, PolicyConfig } from '../src/tail/policy-config.js';
import type { TraceData } from '../src/tail/trace-data.js';
import { decisionEvent, randomTraceId, span, traceOf } from './spans.js';

const clock = new ManualClock(1_000_000);
const evaluate = (config: PolicyConfig, trace: TraceData) => buildPolicy(config, clock).evaluate(trace);
const ms = (n: number) => BigInt(n) * 1_000_000n;

function withDuration(durationMs: number): TraceData {
  const start = 1_700_000_000_000_000_000n;
  return traceOf([
    span({ startTimeUnixNano: start, endTimeUnixNano: start + ms(1) }),
    span({ startTimeUnixNano: start + ms(1), endTimeUnixNano: start + ms(durationMs) }),
  ]);
}

test('always_sample samples', () => {
  assert.equal(evaluate({ name: 'a', type: 'always_sample' }, traceOf([span()])), 'sampled');
});

test('latency: above threshold_ms (strictly, as the Collector) without upper bound; above threshold and at most upper with one', () => {
  const lower = { name: 'l', type: 'latency', latency: { threshold_ms: 100, upper_threshold_ms: 0 } } as const;
  assert.equal(evaluate(lower, withDuration(101)), 'sampled');
  // The Collector compares duration.Milliseconds() > threshold_ms: exactly 100 ms is not slow.
  assert.equal(evaluate(lower, withDuration(100)), 'not_sampled');
  assert.equal(evaluate(lower, withDuration(99)), 'not_sampled');
  const band = { name: 'b', type: 'latency', latency: { threshold_ms: 100, upper_threshold_ms: 200 } } as const;
  assert.equal(evaluate(band, withDuration(100)), 'not_sampled');
  assert.equal(evaluate(band, withDuration(101)), 'sampled');
  assert.equal(evaluate(band, withDuration(200)), 'sampled');
  assert.equal(evaluate(band, withDuration(201)), 'not_sampled');
});

test('numeric_attribute: inclusive bounds on span or resource attributes; invert_match', () => {
  const config = (invert = false): PolicyConfig => ({
    name: 'n',
    type: 'numeric_attribute',
    numeric_attribute: { key: 'http.status', min_value: 400, max_value: 499, invert_match: invert },
  });
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 400 } })])), 'sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 499 } })])), 'sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 500 } })])), 'not_sampled');
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': 399n } })])), 'not_sampled');
  assert.equal(evaluate(config(), traceOf([span()], { 'http.status': 404 })), 'sampled');
  // Invert: plain decisions, as the Collector's since the inverted ones were deprecated.
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { 'http.status': 404 } })])), 'not_sampled');
  assert.equal(evaluate(config(true), traceOf([span()])), 'sampled');
  // pcommon Value.Int(): a present value that is not an int reads as 0.
  const upTo300: PolicyConfig = { name: 'u', type: 'numeric_attribute', numeric_attribute: { key: 'http.status', max_value: 300, invert_match: false } };
  assert.equal(evaluate(config(), traceOf([span({ attributes: { 'http.status': '404' } })])), 'not_sampled');
  assert.equal(evaluate(upTo300, traceOf([span({ attributes: { 'http.status': '404' } })])), 'sampled');
  assert.equal(evaluate(upTo300, traceOf([span({ attributes: { 'http.status': 404.5 } })])), 'sampled');
  assert.equal(evaluate(upTo300, traceOf([span({ attributes: { 'http.status': 404 } })])), 'not_sampled');
  const integralDouble = { 'http.status': 404 };
  noteIntegralDouble(integralDouble, 'http.status', true); // arrived as double_value 404.0
  assert.equal(evaluate(upTo300, traceOf([span({ attributes: integralDouble })])), 'sampled');
  assert.equal(evaluate(upTo300, traceOf([span({ attributes: {} })])), 'not_sampled');
  const onlyMin: PolicyConfig = { name: 'm', type: 'numeric_attribute', numeric_attribute: { key: 'x', min_value: 10, invert_match: false } };
  assert.equal(evaluate(onlyMin, traceOf([span({ attributes: { x: 1e9 } })])), 'sampled');
});

test('string_attribute: exact values, regex values (unanchored, cached), invert_match', () => {
  const exact: PolicyConfig = {
    name: 's',
    type: 'string_attribute',
    string_attribute: { key: 'route', values: ['/a', '/b'], enabled_regex_matching: false, cache_max_size: 0, invert_match: false },
  };
  assert.equal(evaluate(exact, traceOf([span({ attributes: { route: '/b' } })])), 'sampled');
  assert.equal(evaluate(exact, traceOf([span({ attributes: { route: '/bb' } })])), 'not_sampled');
  assert.equal(evaluate(exact, traceOf([span()], { route: '/a' })), 'sampled');
  const regex: PolicyConfig = {
    name: 'r',
    type: 'string_attribute',
    string_attribute: { key: 'route', values: ['^/health', 'metrics'], enabled_regex_matching: true, cache_max_size: 2, invert_match: false },
  };
  const policy = buildPolicy(regex, clock);
  for (let i = 0; i < 2; i++) {
    assert.equal(policy.evaluate(traceOf([span({ attributes: { route: '/healthz' } })])), 'sampled');
    assert.equal(policy.evaluate(traceOf([span({ attributes: { route: '/api/metrics/x' } })])), 'sampled');
    assert.equal(policy.evaluate(traceOf([span({ attributes: { route: '/api/health' } })])), 'not_sampled');
  }
  const invert: PolicyConfig = { ...exact, string_attribute: { ...exact.string_attribute, invert_match: true } } as PolicyConfig;
  assert.equal(evaluate(invert, traceOf([span({ attributes: { route: '/a' } })])), 'not_sampled');
  assert.equal(evaluate(invert, traceOf([span({ attributes: { route: '/c' } })])), 'sampled');
  // pcommon Value.Str(): a resource value that is not a string reads as "", which a regex may match;
  // on a span an empty value is skipped.
  const empty: PolicyConfig = {
    name: 'e',
    type: 'string_attribute',
    string_attribute: { key: 'route', values: ['^$'], enabled_regex_matching: true, cache_max_size: 0, invert_match: false },
  };
  assert.equal(evaluate(empty, traceOf([span()], { route: 7 })), 'sampled');
  assert.equal(evaluate(empty, traceOf([span({ attributes: { route: 7 } })])), 'not_sampled');
  assert.equal(evaluate(empty, traceOf([span()])), 'not_sampled');
  // Patterns are Go's RE2, as the Collector compiles them: a POSIX class and \Q…\E match as in
  // Go (JavaScript reads [[:digit:]] as a class of ':' 'd' … followed by ']'), and `.` matches \r.
  const goSyntax: PolicyConfig = {
    name: 'g',
    type: 'string_attribute',
    string_attribute: {
      key: 'route',
      values: ['^/v[[:digit:]]+/', '\\Qa.b\\E$', '^x.y$'],
      enabled_regex_matching: true,
      cache_max_size: 0,
      invert_match: false,
    },
  };
  assert.equal(evaluate(goSyntax, traceOf([span({ attributes: { route: '/v12/items' } })])), 'sampled');
  assert.equal(evaluate(goSyntax, traceOf([span({ attributes: { route: '/v:/items' } })])), 'not_sampled');
  assert.equal(evaluate(goSyntax, traceOf([span({ attributes: { route: 'file a.b' } })])), 'sampled');
  assert.equal(evaluate(goSyntax, traceOf([span({ attributes: { route: 'file axb' } })])), 'not_sampled');
  assert.equal(evaluate(goSyntax, traceOf([span({ attributes: { route: 'x\ry' } })])), 'sampled');
});

test('boolean_attribute matches the configured value; invert_match', () => {
  const config = (value: boolean, invert = false): PolicyConfig => ({
    name: 'b',
    type: 'boolean_attribute',
    boolean_attribute: { key: 'force', value, invert_match: invert },
  });
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { force: true } })])), 'sampled');
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { force: false } })])), 'not_sampled');
  assert.equal(evaluate(config(false), traceOf([span({ attributes: { force: false } })])), 'sampled');
  assert.equal(evaluate(config(true), traceOf([span({ attributes: { force: 'true' } })])), 'not_sampled');
  // pcommon Value.Bool(): a present value that is not a bool reads as false.
  assert.equal(evaluate(config(false), traceOf([span({ attributes: { force: 'true' } })])), 'sampled');
  assert.equal(evaluate(config(false), traceOf([span()])), 'not_sampled');
  assert.equal(evaluate(config(true, true), traceOf([span({ attributes: { force: true } })])), 'not_sampled');
  assert.equal(evaluate(config(true, true), traceOf([span()])), 'sampled');
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

test('rate_limiting: a token bucket of spans (burst_capacity, default twice the rate), as golang.org/x/time/rate', () => {
  const local = new ManualClock(5_000);
  const policy = buildPolicy({ name: 'r', type: 'rate_limiting', rate_limiting: { spans_per_second: 10, burst_capacity: 20 } }, local);
  const traceId = randomTraceId();
  const fourSpans = traceOf(Array.from({ length: 4 }, () => span({ traceId })));
  for (let i = 0; i < 5; i++) assert.equal(policy.evaluate(fourSpans), 'sampled'); // 20 of the full bucket
  assert.equal(policy.evaluate(traceOf([span()])), 'not_sampled');
  local.advance(100); // one span refilled
  assert.equal(policy.evaluate(traceOf([span()])), 'sampled');
  assert.equal(policy.evaluate(traceOf([span()])), 'not_sampled');
  local.advance(10_000);
  const tooBig = traceOf(Array.from({ length: 21 }, () => span({ traceId })));
  assert.equal(policy.evaluate(tooBig), 'not_sampled', 'a trace above the burst is never sampled');
  assert.equal(policy.evaluate(fourSpans), 'sampled');
});

test('bytes_limiting spends the trace size as the Collector counts it (pdata SizeProto of the trace held)', () => {
  const local = new ManualClock(0);
  const start = 1_700_000_000_000_000_000n;
  const spans = [span({ parentSpanId: '', name: '', kind: 0, startTimeUnixNano: start, endTimeUnixNano: start })];
  const held = makeResourceSpans(spans, { resourceAttributes: {} });
  const trace: TraceData = {
    traceId: spans[0].traceId,
    groups: [{ resourceSpans: held, scopeSpans: held.scopeSpans[0], spans }],
    spanCount: 1,
    decisions: new Map(),
  };
  // Span: ids 28 + empty parent id 2 + start 9 + end 9 + empty status 2 = 50, as a field 52;
  // scope "test" 6, as a field 8; ScopeSpans 60, as a field 62; empty resource 2; ResourceSpans
  // 64, as a field 66. (Our first count left out the wrappers, the empty parent and status.)
  const sized = (burst: number) => buildPolicy({ name: 'b', type: 'bytes_limiting', bytes_limiting: { bytes_per_second: 1, burst_capacity: burst } }, local);
  assert.equal(sized(66).evaluate(trace), 'sampled');
  assert.equal(sized(65).evaluate(trace), 'not_sampled');
  const twice = sized(132);
  assert.equal(twice.evaluate(trace), 'sampled');
  assert.equal(twice.evaluate(trace), 'sampled');
  assert.equal(twice.evaluate(trace), 'not_sampled');
});

test('and, not and drop combine sub-policies', () => {
  const always: LeafPolicyConfig = { name: 'a', type: 'always_sample' };
  const errors: LeafPolicyConfig = { name: 'e', type: 'status_code', status_code: { status_codes: ['ERROR'] } };
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
  const inverted: LeafPolicyConfig = {
    name: 'i',
    type: 'string_attribute',
    string_attribute: { key: 'k', values: ['v'], enabled_regex_matching: false, cache_max_size: 0, invert_match: true },
  };
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

  trace.decisions.set(
    'acme\u0000d2',
    record({ policy_checks: [{ policy: 'fraud', result: 'fail' }], error: { message: 'timeout' } }, { decision_type: 'fraud.screen' }),
  );
  assert.equal(match({ has_violations: true }), 'sampled');
  assert.equal(match({ status: 'errored', type: 'fraud.*' }), 'sampled');
  assert.equal(match({ status: 'errored', type: 'refund.*' }), 'not_sampled');
});

test('composite as the Collector v0.161.0: members in composite_sub_policy order (policy_order unused); no rate_allocation entry or percent 0: an equal share', () => {
  const local = new ManualClock(10_000);
  const policy = buildPolicy(
    {
      name: 'c',
      type: 'composite',
      composite: {
        max_total_spans_per_second: 30,
        policy_order: ['second', 'first'],
        composite_sub_policy: [
          { name: 'first', type: 'always_sample' },
          { name: 'second', type: 'always_sample' },
          { name: 'third', type: 'always_sample' },
        ],
        rate_allocation: [{ policy: 'second', percent: 0 }],
      },
    },
    local,
  );
  // "first" has no entry: 30 / 3 = 10 spans/s (not 0), and it is asked first despite policy_order.
  const five = traceOf(Array.from({ length: 5 }, () => span()));
  assert.equal(policy.evaluate(five), 'sampled');
  assert.equal(policy.evaluate(five), 'sampled');
  // "first" is full; the first member that matches decides, so the trace is not sampled.
  assert.equal(policy.evaluate(five), 'not_sampled');
});

test('trace_state reads the header as W3C strictly: a duplicated or upper-case key makes it unreadable', () => {
  const config: PolicyConfig = { name: 't', type: 'trace_state', trace_state: { key: 'sampling', values: ['high'] } };
  assert.equal(evaluate(config, traceOf([span({ traceState: 'vendor=a, sampling=high' })])), 'sampled');
  assert.equal(evaluate(config, traceOf([span({ traceState: 'sampling=high,sampling=low' })])), 'not_sampled');
  assert.equal(evaluate(config, traceOf([span({ traceState: 'Vendor=a,sampling=high' })])), 'not_sampled');
  assert.equal(evaluate(config, traceOf([span({ traceState: 'sampling=high,x=a=b' })])), 'not_sampled');
});
