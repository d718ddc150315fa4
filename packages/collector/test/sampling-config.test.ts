import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { tracesPipelineYaml } from './traces-pipeline-yaml.js';

function errorsOf(processors: string): string[] {
  try {
    parseCollectorConfig(tracesPipelineYaml(processors), defaultComponents());
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('the config was accepted');
}

function configOf(processors: string, id: string): Record<string, unknown> {
  return parseCollectorConfig(tracesPipelineYaml(processors), defaultComponents()).processors.get(id)!.config as Record<string, unknown>;
}

test('a tail_sampling block copied from the OpenTelemetry Collector README parses with its defaults', () => {
  const config = configOf(
    `  tail_sampling:
    decision_wait: 10s
    num_traces: 100
    expected_new_traces_per_sec: 10
    decision_cache:
      sampled_cache_size: 100_000
      non_sampled_cache_size: 100_000
    policies:
      [
        { name: test-policy-1, type: always_sample },
        { name: test-policy-2, type: latency, latency: {threshold_ms: 5000, upper_threshold_ms: 10000} },
        { name: test-policy-3, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100} },
        { name: test-policy-4, type: probabilistic, probabilistic: {sampling_percentage: 10} },
        { name: test-policy-5, type: status_code, status_code: {status_codes: [ERROR, UNSET]} },
        { name: test-policy-6, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]} },
        { name: test-policy-7, type: string_attribute, string_attribute: {key: key2, values: [value1, val*], enabled_regex_matching: true, cache_max_size: 10} },
        { name: test-policy-8, type: rate_limiting, rate_limiting: {spans_per_second: 35} },
        { name: test-policy-9, type: bytes_limiting, bytes_limiting: {bytes_per_second: 1024000, burst_capacity: 2048000} },
        { name: test-policy-10, type: span_count, span_count: {min_spans: 2, max_spans: 20} },
        { name: test-policy-11, type: trace_state, trace_state: { key: key3, values: [value1, value2] } },
        { name: test-policy-12, type: boolean_attribute, boolean_attribute: {key: key4, value: true} },
        { name: test-policy-13, type: ottl_condition, ottl_condition: { error_mode: ignore, span: [ "attributes[\\"test_attr_key_1\\"] == \\"test_attr_val_1\\"", "attributes[\\"test_attr_key_2\\"] != \\"test_attr_val_1\\"" ], spanevent: [ "name != \\"test_span_event_name\\"", "attributes[\\"test_event_attr_key_2\\"] != \\"test_event_attr_val_1\\"" ] } },
        { name: test-policy-14, type: ottl_condition, ottl_condition: { error_mode: ignore, span: [ "resource.attributes[\\"service.name\\"] == \\"checkout\\"", "span.attributes[\\"http.status_code\\"] >= 500" ], spanevent: [ "spanevent.name == \\"exception\\"" ] } },
        { name: and-policy-1, type: and, and: { and_sub_policy: [ { name: test-and-policy-1, type: numeric_attribute, numeric_attribute: { key: key1, min_value: 50, max_value: 100 } }, { name: test-and-policy-2, type: string_attribute, string_attribute: { key: key2, values: [ value1, value2 ] } } ] } },
        { name: drop-policy-1, type: drop, drop: { drop_sub_policy: [ { name: test-drop-policy-1, type: string_attribute, string_attribute: {key: url.path, values: [\\/health, \\/metrics], enabled_regex_matching: true} } ] } },
        { name: composite-policy-1, type: composite, composite: { max_total_spans_per_second: 1000, policy_order: [test-composite-policy-1, test-composite-policy-2, test-composite-policy-3], composite_sub_policy: [ { name: test-composite-policy-1, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50} }, { name: test-composite-policy-2, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]} }, { name: test-composite-policy-3, type: always_sample } ], rate_allocation: [ { policy: test-composite-policy-1, percent: 50 }, { policy: test-composite-policy-2, percent: 25 } ] } },
        { name: not-policy-1, type: not, not: { not_sub_policy: { name: n, type: trace_flags } } },
        { name: risky, type: decision, decision: { type: "refund.*", outcome: approved, confidence_below: 0.7, actor_type: agent } },
      ]`,
    'tail_sampling',
  );
  assert.equal(config.decision_wait, 10_000);
  assert.equal(config.decision_wait_after_root_received, 0);
  assert.equal(config.sample_on_first_match, false);
  assert.equal((config.policies as unknown[]).length, 19);
  const ottl = (config.policies as Array<{ name: string; ottl_condition?: unknown }>).find((p) => p.name === 'test-policy-14');
  assert.deepEqual(ottl?.ottl_condition, {
    error_mode: 'ignore',
    span: ['resource.attributes["service.name"] == "checkout"', 'span.attributes["http.status_code"] >= 500'],
    spanevent: ['spanevent.name == "exception"'],
  });
  const bytes = (config.policies as Array<{ name: string; bytes_limiting?: unknown }>).find((p) => p.name === 'test-policy-9');
  assert.deepEqual(bytes?.bytes_limiting, { bytes_per_second: 1024000, burst_capacity: 2048000 });
});

test('tail_sampling: unsupported or unknown policy types and keys fail naming their YAML path', () => {
  const messages = errorsOf(`  tail_sampling:
    sampling_strategy: span-ingest
    policies:
      - {name: a, type: ottl_condition, ottl_condition: {span: ["true", "name =="]}}
      - {name: b, type: bogus}
      - {name: c, type: latency, latency: {threshold_ms: 5, bogus: 1}}
      - {name: d, type: and, and: {and_sub_policy: [{name: e, type: composite}]}}
      - {name: f, type: always_sample, latency: {threshold_ms: 1}}
      - {name: g, type: composite, composite: {max_total_spans_per_second: 10, policy_order: [x], composite_sub_policy: [{name: y, type: always_sample}], rate_allocation: [{policy: x, percent: 10}]}}
      - {name: h, type: status_code, status_code: {status_codes: [FAILED]}}
      - {name: i, type: string_attribute, string_attribute: {key: k, values: ["(", "a(?=b)"], enabled_regex_matching: true}}
      - {name: j, type: numeric_attribute, numeric_attribute: {key: k}}
      - {name: a, type: decision, decision: {}}
      - {name: k}`);
  const expected = [
    /^processors\.tail_sampling\.sampling_strategy: not supported by this collector: only trace-complete .* not span-ingest; remove the key$/,
    /^processors\.tail_sampling\.policies\[0\]\.ottl_condition\.span\[1\]: invalid OTTL condition: syntax error at column 8: unexpected end of condition: expected a value/,
    /^processors\.tail_sampling\.policies\[1\]\.type: unknown or misplaced policy type "bogus"/,
    /^processors\.tail_sampling\.policies\[2\]\.latency\.bogus: unknown key$/,
    /^processors\.tail_sampling\.policies\[3\]\.and\.and_sub_policy\[0\]\.type: unknown or misplaced policy type "composite"/,
    /^processors\.tail_sampling\.policies\[4\]\.latency: unknown key$/,
    /^processors\.tail_sampling\.policies\[5\]\.composite\.rate_allocation\[0\]\.policy: "x" is not a composite_sub_policy name$/,
    /^processors\.tail_sampling\.policies\[6\]\.status_code\.status_codes\[0\]: /,
    /^processors\.tail_sampling\.policies\[7\]\.string_attribute\.values\[0\]: invalid regular expression/,
    // A lookahead is JavaScript, not Go's RE2: the Collector refuses it, and so do we.
    /^processors\.tail_sampling\.policies\[7\]\.string_attribute\.values\[1\]: invalid regular expression/,
    /^processors\.tail_sampling\.policies\[8\]\.numeric_attribute: set min_value, max_value or both$/,
    /^processors\.tail_sampling\.policies\[9\]\.decision: set at least one condition$/,
    /^processors\.tail_sampling\.policies\[10\]\.type: a policy needs a type$/,
  ];
  for (const pattern of expected)
    assert.ok(
      messages.some((m) => pattern.test(m)),
      `${pattern} not in:\n${messages.join('\n')}`,
    );
});

test('tail_sampling ottl_condition: conditions are built at start; what we cannot evaluate is refused by name, with path and column', () => {
  const messages = errorsOf(`  tail_sampling:
    policies:
      - {name: a, type: ottl_condition, ottl_condition: {error_mode: sometimes, span: ["true"]}}
      - {name: b, type: ottl_condition, ottl_condition: {}}
      - {name: c, type: ottl_condition, ottl_condition: {span: ["IsMatch(name, \\"x\\") and Substring(name, 0, 1) == \\"x\\""], spanevent: ["IsRootSpan()"]}}
      - {name: d, type: and, and: {and_sub_policy: [{name: e, type: ottl_condition, ottl_condition: {span: ["attributes[\\"k\\"] == 'x'"]}}]}}
      - {name: f, type: ottl_condition, ottl_condition: {span: ["name == 1"], bogus: 1}}`);
  const expected = [
    /^processors\.tail_sampling\.policies\[0\]\.ottl_condition\.error_mode: /,
    /^processors\.tail_sampling\.policies\[1\]\.ottl_condition: expected at least one OTTL condition \(span or spanevent\)$/,
    /^processors\.tail_sampling\.policies\[2\]\.ottl_condition\.span\[0\]: invalid OTTL condition at column 24: converter Substring is not supported by this collector/,
    /^processors\.tail_sampling\.policies\[2\]\.ottl_condition\.spanevent\[0\]: invalid OTTL condition at column 1: undefined function "IsRootSpan"/,
    /^processors\.tail_sampling\.policies\[3\]\.and\.and_sub_policy\[0\]\.ottl_condition\.span\[0\]: invalid OTTL condition: syntax error at column 20: unexpected character "'"/,
    /^processors\.tail_sampling\.policies\[4\]\.ottl_condition\.bogus: unknown key$/,
  ];
  for (const pattern of expected)
    assert.ok(
      messages.some((m) => pattern.test(m)),
      `${pattern} not in:\n${messages.join('\n')}`,
    );
  // error_mode is read case-insensitively; unset is silent.
  const config = configOf(
    `  tail_sampling: {policies: [{name: a, type: ottl_condition, ottl_condition: {error_mode: PROPAGATE, spanevent: ["name == \\"x\\""]}}, {name: b, type: ottl_condition, ottl_condition: {span: ["true"]}}]}`,
    'tail_sampling',
  );
  const policies = config.policies as Array<{ ottl_condition: unknown }>;
  assert.deepEqual(policies[0].ottl_condition, { error_mode: 'propagate', span: [], spanevent: ['name == "x"'] });
  assert.deepEqual(policies[1].ottl_condition, { error_mode: 'silent', span: ['true'], spanevent: [] });
});

test('tail_sampling: policy names must be unique, and policies are required', () => {
  assert.ok(
    errorsOf(`  tail_sampling:
    policies: [{name: a, type: always_sample}, {name: a, type: trace_flags}]`).some(
      (m) => m === 'processors.tail_sampling.policies[1].name: policy name "a" is used twice',
    ),
  );
  assert.ok(errorsOf(`  tail_sampling: {}`).some((m) => m.startsWith('processors.tail_sampling.policies: required')));
  assert.ok(
    errorsOf(`  tail_sampling: {decision_wait: soon, policies: [{name: a, type: always_sample}]}`).some((m) =>
      m.startsWith('processors.tail_sampling.decision_wait: invalid duration'),
    ),
  );
});

test('probabilistic_sampler and rate_limiting: keys, defaults and errors', () => {
  assert.deepEqual(configOf(`  probabilistic_sampler: {sampling_percentage: 15.3, hash_seed: 22}`, 'probabilistic_sampler'), {
    sampling_percentage: 15.3,
    hash_seed: 22,
    sampling_precision: 4,
    fail_closed: true,
  });
  const problems = errorsOf(`  probabilistic_sampler: {sampling_percentage: -1, mode: bogus, sampling_precision: 15, attribute_source: record}
  rate_limiting: {spans_per_second: 10, traces_per_second: 3}
  rate_limiting/b: {spans_per_second: 10, key: tenant}`);
  for (const pattern of [
    /^processors\.probabilistic_sampler\.sampling_percentage: /,
    /^processors\.probabilistic_sampler\.mode: /,
    /^processors\.probabilistic_sampler\.sampling_precision: /,
    /^processors\.probabilistic_sampler\.attribute_source: not supported by this collector: a logs-only key in the Collector.*remove the key$/,
    /^processors\.rate_limiting: set exactly one of spans_per_second and traces_per_second$/,
    /^processors\.rate_limiting\/b\.key: /,
  ]) {
    assert.ok(
      problems.some((m) => pattern.test(m)),
      `${pattern} not in:\n${problems.join('\n')}`,
    );
  }
});

test('Collector keys we do not implement are refused by name with what to use instead; values that ask for what we do pass', () => {
  const messages = errorsOf(`  tail_sampling:
    sampling_strategy: span-ingest
    num_shards: 4
    maximum_trace_size_bytes: 1000000
    block_on_overflow: true
    tail_storage: file_storage/ts
    policies: [{name: a, type: always_sample}]
  probabilistic_sampler:
    sampling_percentage: 10
    attribute_source: record
    from_attribute: log.id
    sampling_priority: priority`);
  const at = (key: string) => messages.find((m) => m.startsWith(`processors.${key}: not supported by this collector: `));
  assert.match(at('tail_sampling.sampling_strategy')!, /only trace-complete/);
  assert.match(at('tail_sampling.num_shards')!, /one loop .*remove the key/);
  assert.match(at('tail_sampling.maximum_trace_size_bytes')!, /bound memory with num_traces and a memory_limiter/);
  assert.match(at('tail_sampling.block_on_overflow')!, /oldest trace is evicted .*memory_limiter/);
  assert.match(at('tail_sampling.tail_storage')!, /in memory only/);
  assert.match(at('probabilistic_sampler.attribute_source')!, /logs-only .*trace id/);
  assert.match(at('probabilistic_sampler.from_attribute')!, /logs-only .*trace id/);
  assert.match(at('probabilistic_sampler.sampling_priority')!, /logs-only .*sampling\.priority attribute/);
  assert.equal(messages.length, 8, messages.join('\n'));

  const accepted = configOf(
    `  tail_sampling: {sampling_strategy: trace-complete, num_shards: 1, maximum_trace_size_bytes: 0, block_on_overflow: false, policies: [{name: a, type: always_sample}]}`,
    'tail_sampling',
  );
  for (const key of ['sampling_strategy', 'num_shards', 'maximum_trace_size_bytes', 'block_on_overflow'])
    assert.equal(key in accepted, false, `${key} is not passed on`);
  assert.equal(accepted.num_traces, 50_000);
});
