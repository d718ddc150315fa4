import { z } from 'zod';
import { durationSchema } from '../../config/values.js';

export const decisionAnomalyConnectorSchema = z.strictObject({
  /** Decisions of a type and version that make its baseline (learnt again after each alert). */
  baseline_window: z.number().int().min(10).default(500),
  /** Smallest change of an outcome's rate or a policy's pass rate worth an alert (absolute, 0..1). */
  rate_shift: z.number().gt(0).lt(1).default(0.1),
  /** Smallest change of the mean confidence worth an alert, in baseline standard deviations. */
  confidence_shift: z.number().gt(0).default(1),
  /** CUSUM threshold (sensitivity): higher means fewer false alarms and later detection. */
  threshold: z.number().gt(0).default(10),
  /** An outcome, policy or confidence is watched only when its baseline saw it this often. */
  min_count: z.number().int().min(1).default(30),
  /** Decision ids an alert names as examples (the last ones of its stream). */
  example_decisions: z.number().int().min(0).default(5),
  /** How often the alert counts go to the metrics pipelines (and at shutdown). */
  metrics_flush_interval: durationSchema.default(15_000),
  /** Decisions kept folded until they have an outcome (see decision_metrics). */
  max_tracked_decisions: z.number().int().min(1).default(10_000),
});

export type DecisionAnomalyConnectorConfig = z.output<typeof decisionAnomalyConnectorSchema>;
