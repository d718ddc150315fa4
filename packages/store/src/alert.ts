/**
 * An anomaly alert as the store keeps it: a shift of a decision type and version from its
 * baseline (what the collector's decision_anomaly connector raises), with its evidence.
 */
export interface DecisionAlert {
  /** Unique per tenant; storing an alert whose (tenant, id) is stored changes nothing. */
  id: string;
  tenant: string;
  /** RFC 3339: when the alert was raised. */
  at: string;
  /** The decision type, without its version suffix. */
  type: string;
  version: string | null;
  /** What shifted: `outcome_rate`, `policy_pass_rate`, `confidence_mean` (the connector's `anomaly.signal`). */
  kind: string;
  /** The outcome or policy whose rate moved; null for the mean confidence. */
  subject: string | null;
  /** `up` or `down`; null when not known. */
  direction: string | null;
  /** One line saying what moved. */
  message: string;
  baseline: AlertWindow;
  current: AlertWindow;
  /** Two-proportion test of baseline against current (rates); null when there is none. */
  p_value: number | null;
  /** Decisions of the shifted stream (ids in the alert's tenant). */
  example_decision_ids: string[];
  /** The chi-square statistic of an `outcome_mix` alert; null (as stored) for the other kinds. */
  statistic?: number | null;
  degrees_of_freedom?: number | null;
  /** An `outcome_mix` alert's decisions per outcome, in the baseline and now; null (as stored) for the other kinds. */
  outcome_counts?: AlertOutcomeCount[] | null;
}

export interface AlertOutcomeCount {
  outcome: string;
  baseline: number;
  current: number;
}

/** One side of the comparison: the baseline or the current stretch. */
export interface AlertWindow {
  /** The version the baseline was learnt on (a new version is compared with its predecessor); null for the current side. */
  version: string | null;
  count: number;
  rate: number | null;
  mean: number | null;
}

/** Filters combine with AND; an absent or empty-string filter does not filter. */
export interface AlertFilter {
  tenant?: string;
  /** `refund.approve` matches any version; `refund.approve.v2` means type AND version v2. */
  type?: string;
  version?: string;
  kind?: string;
  /** RFC 3339 instant, inclusive, compared with `at`. */
  since?: string;
  /** RFC 3339 instant, exclusive. */
  until?: string;
}

/** Newest first: at desc, id desc, tenant desc. */
export interface AlertQuery extends AlertFilter {
  /** Default 50; values above 1000 are lowered to 1000. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface AlertPage {
  alerts: DecisionAlert[];
  /** Opaque; null on the last page. */
  next_cursor: string | null;
}
