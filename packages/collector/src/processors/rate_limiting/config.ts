import { z } from 'zod';

export const rateLimitingSchema = z
  .strictObject({
    spans_per_second: z.number().positive().optional(),
    traces_per_second: z.number().positive().optional(),
    /** Bucket size: how much may pass at once after a quiet period. Default: one second's worth. */
    burst: z.number().positive().optional(),
    /** One bucket for everything, or one per service (`service.name`) or per decision type. */
    key: z.enum(['none', 'service', 'decision_type']).default('none'),
    max_keys: z.number().int().positive().default(10_000),
    /** Traces whose admission is remembered (traces_per_second). */
    max_traces: z.number().int().positive().default(100_000),
  })
  .superRefine((value, ctx) => {
    if ((value.spans_per_second === undefined) === (value.traces_per_second === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of spans_per_second and traces_per_second' });
    }
  });

export type RateLimitingProcessorConfig = z.output<typeof rateLimitingSchema>;
