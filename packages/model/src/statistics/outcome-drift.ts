import { chiSquareSurvival } from './chi-square-distribution.js';

/** Decisions per outcome on one side of a comparison; an outcome may appear once. */
export type OutcomeCounts = ReadonlyArray<{ readonly outcome: string | null; readonly count: number }>;

/** The outcome label a null outcome gets in the contingency table. */
export const NO_OUTCOME = '(none)';

export interface OutcomeDrift {
  test: 'chi_square';
  /** Pearson's chi-square statistic; null when the test cannot be made (see `reason`). */
  statistic: number | null;
  /** (2 - 1) x (outcomes - 1). */
  degrees_of_freedom: number;
  p_value: number | null;
  /** Cramér's V, 0 (same distribution) … 1 (outcome fully decided by the side). */
  cramers_v: number | null;
  /** Why p_value is null. */
  reason?: string;
}

/** A 2 x k contingency table: for each outcome in the union, its count on side a and on side b. */
export interface ContingencyTable {
  outcomes: string[];
  a: number[];
  b: number[];
}

/**
 * Pearson's chi-square test of homogeneity: do sides a and b share one outcome distribution?
 * Works on raw decision counts (not sampling-weighted ones: the test's variance assumes each
 * count is observed units). Outcomes seen on neither side are left out.
 */
export function outcomeDrift(a: OutcomeCounts, b: OutcomeCounts): OutcomeDrift {
  const table = contingencyTable(a, b);
  const degrees_of_freedom = Math.max(table.outcomes.length - 1, 0);
  const totalA = sum(table.a);
  const totalB = sum(table.b);
  const untestable = (reason: string): OutcomeDrift => ({
    test: 'chi_square',
    statistic: null,
    degrees_of_freedom,
    p_value: null,
    cramers_v: null,
    reason,
  });
  if (totalA === 0 || totalB === 0) return untestable(`side ${totalA === 0 ? 'a' : 'b'} has no decisions`);
  if (table.outcomes.length < 2) return untestable('fewer than 2 outcomes in the two sides together: nothing can shift');

  const statistic = chiSquareStatistic(table);
  return {
    test: 'chi_square',
    statistic,
    degrees_of_freedom,
    p_value: chiSquareSurvival(statistic, degrees_of_freedom),
    cramers_v: cramersV(statistic, totalA + totalB, 2, table.outcomes.length),
  };
}

export function contingencyTable(a: OutcomeCounts, b: OutcomeCounts): ContingencyTable {
  const columns = new Map<string, [number, number]>();
  const add = (counts: OutcomeCounts, side: 0 | 1) => {
    for (const { outcome, count } of counts) {
      if (!Number.isFinite(count) || count < 0) throw new RangeError(`invalid count ${count} for outcome ${outcome ?? NO_OUTCOME}`);
      const label = outcome ?? NO_OUTCOME;
      const column = columns.get(label) ?? [0, 0];
      column[side] += count;
      columns.set(label, column);
    }
  };
  add(a, 0);
  add(b, 1);
  const kept = [...columns].filter(([, [x, y]]) => x + y > 0).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return { outcomes: kept.map(([label]) => label), a: kept.map(([, c]) => c[0]), b: kept.map(([, c]) => c[1]) };
}

/** Sum over cells of (observed - expected)^2 / expected, expected = row total x column total / n. */
export function chiSquareStatistic(table: ContingencyTable): number {
  const rows = [table.a, table.b];
  const rowTotals = rows.map(sum);
  const n = rowTotals[0]! + rowTotals[1]!;
  let statistic = 0;
  table.outcomes.forEach((_, j) => {
    const columnTotal = table.a[j]! + table.b[j]!;
    rows.forEach((row, i) => {
      const expected = (rowTotals[i]! * columnTotal) / n;
      if (expected > 0) statistic += (row[j]! - expected) ** 2 / expected;
    });
  });
  return statistic;
}

/** Cramér's V of an r x k table of n observations: sqrt(chi2 / (n x (min(r, k) - 1))). */
export function cramersV(statistic: number, n: number, rows: number, columns: number): number | null {
  const smaller = Math.min(rows, columns) - 1;
  if (n <= 0 || smaller <= 0) return null;
  return Math.min(1, Math.sqrt(statistic / (n * smaller)));
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
