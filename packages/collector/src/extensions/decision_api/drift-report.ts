import { outcomeDrift, type DecisionFilter, type OutcomeCount, type OutcomeDrift } from '@decision-trace/store';

export interface DriftSide {
  /** The filter this side was counted with (after tenant scoping). */
  filter: DecisionFilter;
  /** Decisions on this side (raw count). */
  total: number;
  /** share = count / total; weighted_count sums the sampling adjusted counts. */
  outcomes: Array<{ outcome: string | null; count: number; weighted_count: number; share: number }>;
}

export type DriftReport = { type: string; a: DriftSide; b: DriftSide; alpha: number; significant: boolean } & OutcomeDrift;

/** "Did the outcome distribution of `type` change between a and b?" as `GET /v1/drift` answers it. */
export function driftReport(
  type: string,
  a: { filter: DecisionFilter; counts: OutcomeCount[] },
  b: { filter: DecisionFilter; counts: OutcomeCount[] },
  alpha: number,
): DriftReport {
  const test = outcomeDrift(a.counts, b.counts);
  return {
    type,
    a: side(a.filter, a.counts),
    b: side(b.filter, b.counts),
    alpha,
    ...test,
    significant: test.p_value !== null && test.p_value < alpha,
  };
}

function side(filter: DecisionFilter, counts: OutcomeCount[]): DriftSide {
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  return {
    filter,
    total,
    outcomes: counts.map((c) => ({ outcome: c.outcome, count: c.count, weighted_count: c.weighted_count, share: total === 0 ? 0 : c.count / total })),
  };
}
