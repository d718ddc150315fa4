import { z } from 'zod';
import { durationSchema } from '../../config/values.js';
import type { MonitorSettings } from './decision-monitor.js';

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
  /** The chi-square test of the whole outcome mix (current window against a baseline window). */
  outcome_mix: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Decisions of a type and version that make the baseline mix (learnt again after each alert). */
      baseline_window: z.number().int().min(10).default(500),
      /** The last this many decisions are the current mix, tested after each decision. */
      window: z.number().int().min(10).default(300),
      /** Significance: an alert when the test's p-value falls below this. */
      p_value: z.number().gt(0).lt(1).default(0.001),
      /** Outcomes expected fewer times than this in the window are pooled into one column. */
      min_expected: z.number().min(0).default(5),
    })
    .prefault({}),
  /**
   * A storage extension's id (`file_storage`, `file_storage/<name>`; or a directory path): the
   * baselines and the tests' state are saved there and taken up again at start.
   */
  storage: z.string().min(1, 'must be a storage extension id (file_storage/<name>) or a directory path').optional(),
  /** How often the state is saved to `storage` (and at shutdown). */
  storage_save_interval: durationSchema.default(30_000),
});

export type DecisionAnomalyConnectorConfig = z.output<typeof decisionAnomalyConnectorSchema>;

/** The settings of the monitors (decision-monitor.ts) a config gives. */
export function monitorSettings(config: DecisionAnomalyConnectorConfig): MonitorSettings {
  return {
    baselineWindow: config.baseline_window,
    rateShift: config.rate_shift,
    confidenceShift: config.confidence_shift,
    threshold: config.threshold,
    minCount: config.min_count,
    examples: config.example_decisions,
    mix: {
      enabled: config.outcome_mix.enabled,
      baselineWindow: config.outcome_mix.baseline_window,
      window: config.outcome_mix.window,
      pValue: config.outcome_mix.p_value,
      minExpected: config.outcome_mix.min_expected,
    },
  };
}
