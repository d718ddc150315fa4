import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpanEvent } from '@decision-trace/model';
import { ManualClock } from '../src/clock.js';
import { decideTrace } from '../src/tail/final-decision.js';
import { buildPolicy } from '../src/tail/policies/build-policy.js';
import { PolicyEvaluationError } from '../src/tail/policies/policy.js';
import type { LeafPolicyConfig, OttlErrorMode, PolicyConfig } from '../src/tail/policy-config.js';
import { TailSampler } from '../src/tail/tail-sampler.js';
import { resourceSpans, span, traceOf } from './spans.js';

/** The `ottl_condition` tail-sampling policy (#15 item 4): any condition on any span or span event; error_mode. */

const clock = new ManualClock(1_000_000);
const ottl = (span: string[], spanevent: string[] = [], errorMode: OttlErrorMode = 'silent', name = 'ottl'): LeafPolicyConfig => ({
  name,
  type: 'ottl_condition',
  ottl_condition: { error_mode: errorMode, span, spanevent },
});
const exception: SpanEvent = { timeUnixNano: 1n, name: 'exception', attributes: { 'exception.type': 'Timeout' }, droppedAttributesCount: 0 };

test('sampled when any span condition holds for any span; resource and scope of that span are visible', () => {
  const policy = buildPolicy(ottl(['attributes["http.status_code"] >= 500', 'resource.attributes["service.name"] == "refunds"']), clock);
  assert.equal(policy.evaluate(traceOf([span(), span({ attributes: { 'http.status_code': 503 } })])), 'sampled');
  assert.equal(policy.evaluate(traceOf([span({ attributes: { 'http.status_code': 404 } })])), 'not_sampled');
  assert.equal(policy.evaluate(traceOf([span()], { 'service.name': 'refunds' })), 'sampled');
  // Two resources in one trace: each span is seen with its own resource.
  const a = span({ attributes: { x: 1 } });
  const b = span({ traceId: a.traceId });
  const trace = traceOf([a]);
  const other = resourceSpans([b], { 'service.name': 'refunds' });
  trace.groups.push({ resourceSpans: other, scopeSpans: other.scopeSpans[0], spans: [b] });
  assert.equal(policy.evaluate(trace), 'sampled');
});

test("span-event conditions: any event of any span; unprefixed paths are the event's", () => {
  const policy = buildPolicy(ottl([], ['name == "exception" and span.kind == SPAN_KIND_SERVER']), clock);
  assert.equal(policy.evaluate(traceOf([span({ kind: 2, events: [exception] })])), 'sampled');
  assert.equal(policy.evaluate(traceOf([span({ kind: 3, events: [exception] })])), 'not_sampled');
  assert.equal(policy.evaluate(traceOf([span({ kind: 2, name: 'exception' })])), 'not_sampled');
});

test('error_mode: propagate fails the policy; ignore logs and skips the condition; silent skips it', () => {
  const failing = 'Len(attributes["n"]) > 0';
  const trace = traceOf([span({ attributes: { n: 1 } }), span({ name: 'match' })]);
  const propagate = buildPolicy(ottl([failing, 'name == "match"'], [], 'propagate'), clock);
  assert.throws(
    () => propagate.evaluate(trace),
    (error: unknown) =>
      error instanceof PolicyEvaluationError &&
      /failed to eval condition: Len\(attributes\["n"\]\) > 0, Len: unsupported target type int64/.test(error.message),
  );

  const warnings: Array<{ message: string; fields: Record<string, unknown> }> = [];
  const ignore = buildPolicy(ottl([failing, 'name == "match"'], [], 'ignore'), clock, { warn: (message, fields) => warnings.push({ message, fields }) });
  assert.equal(ignore.evaluate(trace), 'sampled');
  assert.equal(warnings[0].message, 'failed to eval condition');
  assert.equal(warnings[0].fields.condition, failing);
  assert.match(String(warnings[0].fields.error), /Len: unsupported target type int64/);

  const silentWarnings: unknown[] = [];
  const silent = buildPolicy(ottl([failing], [], 'silent'), clock, { warn: (...args) => silentWarnings.push(args) });
  assert.equal(silent.evaluate(trace), 'not_sampled');
  assert.deepEqual(silentWarnings, []);
});

test('inside and/not/drop/composite; a propagated error leaves the top-level policy out of the decision', () => {
  const errorPolicy = ottl(['Len(attributes["n"]) > 0'], [], 'propagate', 'broken');
  const and: PolicyConfig = { name: 'and', type: 'and', and: { and_sub_policy: [ottl(['name == "a"']), { name: 'all', type: 'always_sample' }] } };
  assert.equal(buildPolicy(and, clock).evaluate(traceOf([span({ name: 'a' })])), 'sampled');
  assert.equal(buildPolicy(and, clock).evaluate(traceOf([span({ name: 'b' })])), 'not_sampled');
  const not: PolicyConfig = { name: 'not', type: 'not', not: { not_sub_policy: ottl(['name == "a"']) } };
  assert.equal(buildPolicy(not, clock).evaluate(traceOf([span({ name: 'b' })])), 'sampled');
  const composite: PolicyConfig = {
    name: 'c',
    type: 'composite',
    composite: {
      max_total_spans_per_second: 100,
      policy_order: [],
      composite_sub_policy: [errorPolicy, { name: 'all', type: 'always_sample' }],
      rate_allocation: [],
    },
  };
  // The error from the first member fails the whole composite, as in the Collector.
  assert.throws(() => buildPolicy(composite, clock).evaluate(traceOf([span({ attributes: { n: 1 } })])), PolicyEvaluationError);

  const trace = traceOf([span({ attributes: { n: 1 } })]);
  const policies = [
    errorPolicy,
    { name: 'drop', type: 'drop', drop: { drop_sub_policy: [errorPolicy] } } as PolicyConfig,
    ottl(['name == "work"'], [], 'silent', 'fine'),
  ];
  const named = policies.map((config) => ({ name: config.name, isDrop: config.type === 'drop', evaluator: buildPolicy(config, clock) }));
  const errors: string[] = [];
  const verdict = decideTrace(named, trace, false, undefined, (policy) => errors.push(policy));
  assert.deepEqual(verdict, { decision: 'sampled', policy: 'fine', adjustedCount: null });
  assert.deepEqual(errors, ['broken', 'drop']);
});

test('the tail sampler counts evaluation errors and passes warnings to its hooks', () => {
  const warnings: string[] = [];
  const tail = new TailSampler(
    {
      decision_wait: 1000,
      decision_wait_after_root_received: 0,
      num_traces: 100,
      expected_new_traces_per_sec: 0,
      decision_cache: { sampled_cache_size: 0, non_sampled_cache_size: 0 },
      sample_on_first_match: false,
      drop_pending_traces_on_shutdown: false,
      policies: [ottl(['Len(attributes["n"]) > 0'], [], 'propagate', 'p'), ottl(['Len(attributes["n"]) > 0'], [], 'ignore', 'i')],
    } as ConstructorParameters<typeof TailSampler>[0],
    clock,
    { warn: (message) => warnings.push(message) },
  );
  tail.ingest([resourceSpans([span({ attributes: { n: 1 } })])]);
  const released = tail.decideAll();
  assert.equal(released[0].verdict.decision, 'not_sampled');
  assert.equal(tail.metrics.evaluationErrors, 1);
  assert.deepEqual(warnings, ['failed to eval condition']);
});

test('a condition that does not build refuses the policy', () => {
  assert.throws(() => buildPolicy(ottl(['name ==']), clock), /syntax error at column 8/);
  assert.throws(() => buildPolicy(ottl([], []), clock), /expected at least one OTTL condition/);
});
