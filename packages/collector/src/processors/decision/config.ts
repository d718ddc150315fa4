import { z } from 'zod';
import { UNKNOWN_TYPE_MODES } from '@decision-trace/model';

export const decisionProcessorSchema = z
  .strictObject({
    /** Recent spans remembered so a decision finds its nearest ancestor decision across requests. */
    lineage: z
      .strictObject({
        max_traces: z.number().int().positive().default(10_000),
        max_spans_per_trace: z.number().int().positive().default(10_000),
      })
      .default({ max_traces: 10_000, max_spans_per_trace: 10_000 }),
    /** Decision registry YAML (relative to the working directory): the contracts decisions are checked against. */
    registry: z.string().min(1, 'must not be empty').optional(),
    /** A decision of a type the registry does not declare: kept as is, kept with a violation, or not kept. */
    unknown_types: z.enum(UNKNOWN_TYPE_MODES).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.unknown_types !== undefined && config.registry === undefined) {
      ctx.addIssue({ code: 'custom', path: ['unknown_types'], message: 'only used with registry' });
    }
  });

export type DecisionProcessorConfig = z.output<typeof decisionProcessorSchema>;
