import { z } from 'zod';

/** The OpenTelemetry Collector's `probabilistic_sampler` keys for traces. */
export const probabilisticSamplerSchema = z.strictObject({
  sampling_percentage: z.number().min(0, 'must be ≥ 0 (values ≥ 100 keep everything)'),
  mode: z.enum(['hash_seed', 'proportional', 'equalizing']).optional(),
  hash_seed: z.number().int().min(0).max(0xffffffff).default(0),
  sampling_precision: z.number().int().min(1).max(14).default(4),
  fail_closed: z.boolean().default(true),
});

export type ProbabilisticSamplerProcessorConfig = z.output<typeof probabilisticSamplerSchema>;
