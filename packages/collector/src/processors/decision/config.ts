import { z } from 'zod';

export const decisionProcessorSchema = z.strictObject({
  /** Recent spans remembered so a decision finds its nearest ancestor decision across requests. */
  lineage: z
    .strictObject({
      max_traces: z.number().int().positive().default(10_000),
      max_spans_per_trace: z.number().int().positive().default(10_000),
    })
    .default({ max_traces: 10_000, max_spans_per_trace: 10_000 }),
});

export type DecisionProcessorConfig = z.output<typeof decisionProcessorSchema>;
