import { z } from 'zod';
import { unsupportedKeyFields, withoutKeys, type UnsupportedKey } from '../../config/unsupported-keys.js';

const LOGS_ONLY = 'a logs-only key in the Collector, and this collector samples traces only';

/** Its logs-only keys, refused by name. */
const logsOnlyKeys = {
  attribute_source: { instead: `${LOGS_ONLY}: spans are sampled on their trace id (and the tracestate's rv/th); remove the key` },
  from_attribute: { instead: `${LOGS_ONLY}: spans are sampled on their trace id (and the tracestate's rv/th); remove the key` },
  sampling_priority: { instead: `${LOGS_ONLY}: a span's sampling.priority attribute already forces its decision (0 drops, > 0 keeps); remove the key` },
} satisfies Record<string, UnsupportedKey>;

/** The OpenTelemetry Collector's `probabilistic_sampler` keys for traces. */
export const probabilisticSamplerSchema = z
  .strictObject({
    ...unsupportedKeyFields(logsOnlyKeys),
    sampling_percentage: z.number().min(0, 'must be ≥ 0 (values ≥ 100 keep everything)'),
    mode: z.enum(['hash_seed', 'proportional', 'equalizing']).optional(),
    hash_seed: z.number().int().min(0).max(0xffffffff).default(0),
    sampling_precision: z.number().int().min(1).max(14).default(4),
    fail_closed: z.boolean().default(true),
  })
  .transform(withoutKeys(logsOnlyKeys));

export type ProbabilisticSamplerProcessorConfig = z.output<typeof probabilisticSamplerSchema>;
