import { z } from 'zod';
import { compileGoRegexp, ottlConditionProblem, type CompositePolicyConfig, type LeafPolicyConfig, type PolicyConfig } from '@decision-trace/sampling';
import { unsupportedKeyFields, withoutKeys, type UnsupportedKey } from '../../config/unsupported-keys.js';
import { durationSchema } from '../../config/values.js';

/**
 * The OpenTelemetry Collector's `tail_sampling` keys and policy types, plus our `decision`
 * policy. Every policy is a discriminated union on `type`, so an unknown type or a key that
 * does not belong to the type fails at start with its YAML path.
 */
const name = z.string().min(1, 'a policy needs a name');
/**
 * Go's YAML reads `100_000` as an integer (the Collector's README writes cache sizes so);
 * YAML 1.2 reads it as a string. Accept both.
 */
const integer = () =>
  z.preprocess((value) => (typeof value === 'string' && /^[+-]?\d[\d_]*$/.test(value) ? Number(value.replace(/_/g, '')) : value), z.number().int());
const stringList = z.array(z.string());
/** `outcome: approved` or `outcome: [approved, escalated]`. */
const oneOrMany = z.union([z.string().transform((value) => [value]), stringList]);

const latency = z.strictObject({
  threshold_ms: z.number().int().min(0).default(0),
  upper_threshold_ms: z.number().int().min(0).default(0),
});

const numericAttribute = z
  .strictObject({
    key: z.string().min(1),
    // int64 in the Collector: a fraction is refused rather than read differently.
    min_value: z.number().int().optional(),
    max_value: z.number().int().optional(),
    invert_match: z.boolean().default(false),
  })
  .refine((value) => value.min_value !== undefined || value.max_value !== undefined, {
    message: 'set min_value, max_value or both',
  });

const stringAttribute = z
  .strictObject({
    key: z.string().min(1),
    values: stringList.min(1, 'at least one value is required'),
    enabled_regex_matching: z.boolean().default(false),
    cache_max_size: z.number().int().min(0).default(0),
    invert_match: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    if (!value.enabled_regex_matching) return;
    value.values.forEach((pattern, index) => {
      try {
        compileGoRegexp(pattern);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['values', index], message: `invalid regular expression: ${(error as Error).message}` });
      }
    });
  });

const decisionMatch = z
  .strictObject({
    type: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    outcome: oneOrMany.optional(),
    confidence_below: z.number().optional(),
    confidence_above: z.number().optional(),
    actor_type: oneOrMany.optional(),
    has_violations: z.boolean().optional(),
    status: z.enum(['pending', 'decided', 'errored']).optional(),
  })
  .refine((value) => Object.values(value).some((v) => v !== undefined), { message: 'set at least one condition' });

/**
 * `ottl_condition`: OTTL conditions on spans and span events. Each is parsed and built here, so a
 * condition that does not parse, names an unknown path or converter, or uses OTTL this collector
 * does not evaluate is refused at start with its YAML path and column. error_mode is read
 * case-insensitively, as otelcol reads it; unset behaves as `silent`, as there.
 */
const ottlCondition = z
  .strictObject({
    error_mode: z.preprocess((value) => (typeof value === 'string' ? value.toLowerCase() : value), z.enum(['ignore', 'propagate', 'silent'])).default('silent'),
    span: stringList.default([]),
    spanevent: stringList.default([]),
  })
  .superRefine((value, ctx) => {
    if (value.span.length === 0 && value.spanevent.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'expected at least one OTTL condition (span or spanevent)' });
    }
    for (const context of ['span', 'spanevent'] as const) {
      value[context].forEach((condition, index) => {
        const problem = ottlConditionProblem(condition, context);
        if (problem !== null) ctx.addIssue({ code: 'custom', path: [context, index], message: `${problem} (in ${JSON.stringify(condition)})` });
      });
    }
  });

/** Leaf policies: what `and`, `not`, `drop` and `composite` may contain. */
const leafPolicies = [
  z.strictObject({ name, type: z.literal('always_sample') }),
  z.strictObject({ name, type: z.literal('latency'), latency }),
  z.strictObject({ name, type: z.literal('numeric_attribute'), numeric_attribute: numericAttribute }),
  z.strictObject({
    name,
    type: z.literal('probabilistic'),
    probabilistic: z.strictObject({ hash_salt: z.string().default(''), sampling_percentage: z.number().min(0).default(0) }),
  }),
  z.strictObject({
    name,
    type: z.literal('status_code'),
    status_code: z.strictObject({ status_codes: z.array(z.enum(['OK', 'ERROR', 'UNSET'])).min(1, 'at least one status code is required') }),
  }),
  z.strictObject({ name, type: z.literal('string_attribute'), string_attribute: stringAttribute }),
  z.strictObject({
    name,
    type: z.literal('boolean_attribute'),
    boolean_attribute: z.strictObject({ key: z.string().min(1), value: z.boolean(), invert_match: z.boolean().default(false) }),
  }),
  z.strictObject({
    name,
    type: z.literal('span_count'),
    span_count: z
      .strictObject({ min_spans: z.number().int().min(0).default(0), max_spans: z.number().int().min(0).default(0) })
      .refine((value) => value.max_spans === 0 || value.max_spans >= value.min_spans, { message: 'max_spans must be ≥ min_spans (or 0 for no upper bound)' }),
  }),
  z.strictObject({
    name,
    type: z.literal('trace_state'),
    trace_state: z.strictObject({ key: z.string().min(1), values: stringList.min(1, 'at least one value is required') }),
  }),
  z.strictObject({ name, type: z.literal('trace_flags') }),
  z.strictObject({
    name,
    type: z.literal('rate_limiting'),
    // burst_capacity defaults to twice the rate, as the Collector's.
    rate_limiting: z
      .strictObject({ spans_per_second: integer().pipe(z.number().positive()), burst_capacity: integer().pipe(z.number().positive()).optional() })
      .transform((value) => ({ spans_per_second: value.spans_per_second, burst_capacity: value.burst_capacity ?? value.spans_per_second * 2 })),
  }),
  z.strictObject({
    name,
    type: z.literal('bytes_limiting'),
    bytes_limiting: z
      .strictObject({ bytes_per_second: integer().pipe(z.number().positive()), burst_capacity: integer().pipe(z.number().positive()).optional() })
      .transform((value) => ({ bytes_per_second: value.bytes_per_second, burst_capacity: value.burst_capacity ?? value.bytes_per_second * 2 })),
  }),
  z.strictObject({ name, type: z.literal('decision'), decision: decisionMatch }),
  z.strictObject({ name, type: z.literal('ottl_condition'), ottl_condition: ottlCondition }),
] as const;

const unsupportedTypes: string[] = [];

/** An unknown type names itself; a known one in the wrong place (e.g. composite inside and) too. */
const unionError = {
  error: (issue: { input?: unknown }) => {
    const input = issue.input as { type?: unknown } | undefined;
    const type = input !== null && typeof input === 'object' ? input.type : undefined;
    if (type === undefined) return 'a policy needs a type';
    if (typeof type === 'string' && unsupportedTypes.includes(type)) return `policy type "${type}" is not supported by this collector`;
    return `unknown or misplaced policy type ${JSON.stringify(type)}`;
  },
};

const leafPolicy = z.discriminatedUnion('type', [...leafPolicies], unionError);

const andPolicy = z.strictObject({
  name,
  type: z.literal('and'),
  and: z.strictObject({ and_sub_policy: z.array(leafPolicy).min(1, 'an and policy needs sub-policies') }),
});

const compositePolicy = z
  .strictObject({
    name,
    type: z.literal('composite'),
    composite: z.strictObject({
      max_total_spans_per_second: integer().pipe(z.number().positive()),
      // Accepted as the Collector accepts it, and like it not used: members are asked in
      // composite_sub_policy order.
      policy_order: z.array(z.string()).default([]),
      composite_sub_policy: z.array(z.discriminatedUnion('type', [...leafPolicies, andPolicy], unionError)).min(1),
      rate_allocation: z.array(z.strictObject({ policy: z.string(), percent: z.number().int().min(0).max(100) })).default([]),
    }),
  })
  .superRefine((value, ctx) => {
    const names = new Set(value.composite.composite_sub_policy.map((sub) => sub.name));
    value.composite.rate_allocation.forEach((entry, index) => {
      if (!names.has(entry.policy))
        ctx.addIssue({
          code: 'custom',
          path: ['composite', 'rate_allocation', index, 'policy'],
          message: `"${entry.policy}" is not a composite_sub_policy name`,
        });
    });
    const total = value.composite.rate_allocation.reduce((sum, entry) => sum + entry.percent, 0);
    if (total > 100) ctx.addIssue({ code: 'custom', path: ['composite', 'rate_allocation'], message: `percentages add up to ${total}, more than 100` });
  });

const policy = z.discriminatedUnion(
  'type',
  [
    ...leafPolicies,
    andPolicy,
    z.strictObject({ name, type: z.literal('not'), not: z.strictObject({ not_sub_policy: leafPolicy }) }),
    z.strictObject({
      name,
      type: z.literal('drop'),
      drop: z.strictObject({ drop_sub_policy: z.array(leafPolicy).min(1, 'a drop policy needs sub-policies') }),
    }),
    compositePolicy,
  ],
  unionError,
);

/**
 * The Collector's top-level tail_sampling keys we do not implement, refused with what to do
 * instead (a value that asks for what we do anyway is accepted).
 */
const unsupportedTopLevelKeys = {
  sampling_strategy: {
    accepts: (value: unknown) => value === 'trace-complete',
    instead: 'only trace-complete (the default: a trace is decided once decision_wait has passed) is implemented, not span-ingest; remove the key',
  },
  num_shards: {
    accepts: (value: unknown) => value === 0 || value === 1,
    instead: 'traces are handled by one loop (as num_shards: 1); remove the key',
  },
  maximum_trace_size_bytes: {
    accepts: (value: unknown) => value === 0,
    instead: 'traces are not dropped by size; bound memory with num_traces and a memory_limiter processor before tail_sampling; remove the key',
  },
  block_on_overflow: {
    accepts: (value: unknown) => value === false,
    instead:
      'at num_traces the oldest trace is evicted (as block_on_overflow: false); to push back on senders put a memory_limiter processor before tail_sampling; remove the key',
  },
  tail_storage: {
    instead: 'spans wait in memory only (bounded by num_traces); remove the key',
  },
} satisfies Record<string, UnsupportedKey>;

export const tailSamplingSchema = z
  .strictObject({
    ...unsupportedKeyFields(unsupportedTopLevelKeys),
    decision_wait: durationSchema.default(30_000),
    decision_wait_after_root_received: durationSchema.default(0),
    num_traces: integer().pipe(z.number().positive()).default(50_000),
    expected_new_traces_per_sec: integer().pipe(z.number().min(0)).default(0),
    decision_cache: z
      .strictObject({
        sampled_cache_size: integer().pipe(z.number().min(0)).default(0),
        non_sampled_cache_size: integer().pipe(z.number().min(0)).default(0),
      })
      .default({ sampled_cache_size: 0, non_sampled_cache_size: 0 }),
    sample_on_first_match: z.boolean().default(false),
    drop_pending_traces_on_shutdown: z.boolean().default(false),
    policies: z.array(policy).min(1, 'at least one policy is required'),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.policies.forEach((entry, index) => {
      if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: ['policies', index, 'name'], message: `policy name "${entry.name}" is used twice` });
      seen.add(entry.name);
    });
  })
  .transform(withoutKeys(unsupportedTopLevelKeys));

export type TailSamplingProcessorConfig = z.output<typeof tailSamplingSchema>;

// The schema's output must be what the sampling engine takes.
type Assignable<T extends U, U> = T;
export type _PolicyMatchesEngine = Assignable<TailSamplingProcessorConfig['policies'][number], PolicyConfig>;
export type _LeafMatchesEngine = Assignable<z.output<typeof leafPolicy>, LeafPolicyConfig>;
export type _CompositeMatchesEngine = Assignable<z.output<typeof compositePolicy>, CompositePolicyConfig>;
