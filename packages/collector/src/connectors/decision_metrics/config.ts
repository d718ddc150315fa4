import { z } from 'zod';
import { durationSchema } from '../../config/values.js';

/** The dimensions every metric of the connector has unless excluded (`exclude_dimensions`). */
export const DEFAULT_DIMENSIONS = [
  'decision.type',
  'decision.version',
  'decision.outcome',
  'decision.tenant',
  'decision.environment',
  'decision.actor.type',
] as const;

/** Confidence is 0..1: tenths, with the top end finer, where thresholds usually sit. */
export const DEFAULT_CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
/** Milliseconds, as the spanmetrics connector's default explicit buckets. */
export const DEFAULT_LATENCY_BUCKETS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000];

const buckets = z
  .array(z.number().finite())
  .min(1, 'at least one bucket boundary')
  .refine((list) => list.every((value, i) => i === 0 || value > list[i - 1]!), 'bucket boundaries must be strictly increasing');

const dimensionSchema = z.strictObject({
  /** See the README for the names a dimension can read. */
  name: z.string().min(1),
  /** Used when the decision has no value for it; without a default the dimension is left out. */
  default: z.string().optional(),
});

export const decisionMetricsConnectorSchema = z
  .strictObject({
    /** Prefix of every metric name: `<namespace>.count`, `<namespace>.confidence`, … */
    namespace: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9_.]*$/, 'expected letters, digits, _ and .')
      .default('decision'),
    /** Dimensions added to the default ones. */
    dimensions: z.array(dimensionSchema).default([]),
    /** Default dimensions to leave out. */
    exclude_dimensions: z.array(z.enum(DEFAULT_DIMENSIONS)).default([]),
    /**
     * Distinct dimension sets tracked per metric; further sets are counted under one series with
     * `otel.metric.overflow=true`. 0: no limit. Under delta temporality the count starts over
     * with each flush.
     */
    aggregation_cardinality_limit: z.number().int().min(0).default(0),
    aggregation_temporality: z.enum(['AGGREGATION_TEMPORALITY_CUMULATIVE', 'AGGREGATION_TEMPORALITY_DELTA']).default('AGGREGATION_TEMPORALITY_CUMULATIVE'),
    /** How often the metrics are handed to the metrics pipelines (and at shutdown). */
    metrics_flush_interval: durationSchema.default(15_000),
    histogram: z
      .strictObject({
        confidence: z.strictObject({ buckets: buckets.default(DEFAULT_CONFIDENCE_BUCKETS) }).prefault({}),
        latency: z.strictObject({ buckets: buckets.default(DEFAULT_LATENCY_BUCKETS) }).prefault({}),
      })
      .prefault({}),
    exemplars: z
      .strictObject({
        /** Attach to each data point measurements of the last flush interval, with their trace, span and decision ids. */
        enabled: z.boolean().default(false),
        max_per_data_point: z.number().int().min(1).default(5),
      })
      .prefault({}),
    /**
     * Decisions whose events are kept folded until they have an outcome (events of one decision
     * may arrive in several requests), and decided ones kept so a later evaluation finds the
     * outcome it is compared with. The oldest are forgotten first.
     */
    max_tracked_decisions: z.number().int().min(1).default(10_000),
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>(DEFAULT_DIMENSIONS.filter((name) => !config.exclude_dimensions.includes(name)));
    config.dimensions.forEach((dimension, index) => {
      if (names.has(dimension.name)) {
        ctx.addIssue({ code: 'custom', path: ['dimensions', index, 'name'], message: `"${dimension.name}" is already a dimension` });
      }
      names.add(dimension.name);
    });
  });

export type DecisionMetricsConnectorConfig = z.output<typeof decisionMetricsConnectorSchema>;
