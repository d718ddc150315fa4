import { NO_OUTCOME, chiSquareStatistic, chiSquareSurvival, outcomeDrift } from '@decision-trace/model';
import type { Direction } from './sequential-tests.js';

export interface MixSettings {
  enabled: boolean;
  /** Decisions that make the baseline mix. */
  baselineWindow: number;
  /** The last this many decisions are the current mix, tested after each decision. */
  window: number;
  /** An alert when the test's p-value falls below this. */
  pValue: number;
  /** Outcomes expected fewer times than this in the current window are pooled into one column. */
  minExpected: number;
}

/** The column the rare outcomes share in the test (Cochran's rule: no expected count below ~5). */
export const POOLED_OUTCOMES = '(other)';

export interface MixFinding {
  /** The outcome that moved the statistic most, and which way its share went. */
  subject: string;
  direction: Direction;
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  baseline: { n: number; version: string | null };
  current: { n: number };
  /** Per outcome (not pooled), sorted by name: its count in the baseline and in the current window. */
  outcomes: string[];
  baselineCounts: number[];
  currentCounts: number[];
}

/** What a mix watch saves so that it survives a restart (see monitor-state.ts). */
export interface MixWatchState {
  learning: Array<[string, number]>;
  baseline?: { counts: Array<[string, number]>; version: string | null };
  window: string[];
}

/**
 * The whole outcome mix of a stream under watch: a chi-square test of homogeneity (the one
 * `/v1/drift` makes, from @decision-trace/model) of the last `window` decisions against a
 * baseline learnt from the first `baselineWindow`. Where the per-outcome CUSUMs each look at one
 * rate against a fixed `rate_shift`, this test adds up the evidence of every outcome that moved:
 * two outcomes trading shares by less than `rate_shift`, or a rare outcome tripling, are found
 * here. After an alert it learns the new mix.
 */
export class OutcomeMixWatch {
  private learning = new Map<string, number>();
  private learnt = 0;
  baseline?: { counts: Map<string, number>; n: number; version: string | null };
  /** The current window, oldest first, and its counts per outcome. */
  private window: string[] = [];
  private windowCounts = new Map<string, number>();
  /**
   * The test's columns, fixed with the baseline: each common outcome its own, the rare and new
   * ones pooled in the last. The window's counts per column are kept as decisions come and go,
   * so that a test after each decision costs one pass over a few numbers.
   */
  private columns = new Map<string, number>();
  private table = { outcomes: [] as string[], a: [] as number[], b: [] as number[] };

  constructor(
    private readonly settings: MixSettings,
    private readonly version: string | null,
  ) {}

  /** Starts testing at once against another version's baseline mix. */
  inherit(from: OutcomeMixWatch): void {
    if (from.baseline) this.setBaseline({ ...from.baseline, counts: new Map(from.baseline.counts) });
  }

  observe(outcome: string | null): MixFinding | undefined {
    const label = outcome ?? NO_OUTCOME;
    if (!this.baseline) {
      add(this.learning, label, 1);
      this.learnt += 1;
      if (this.learnt >= this.settings.baselineWindow) {
        this.setBaseline({ counts: this.learning, n: this.learnt, version: this.version });
        this.learning = new Map();
        this.learnt = 0;
      }
      return undefined;
    }
    this.enter(label, 1);
    if (this.window.length > this.settings.window) this.enter(this.window[0]!, -1);
    if (this.window.length < this.settings.window) return undefined;
    const found = this.test();
    if (found) this.relearn();
    return found;
  }

  /** Forgets the baseline and the window: the watch learns the stream's new mix. */
  relearn(): void {
    this.baseline = undefined;
    this.learning = new Map();
    this.learnt = 0;
    this.window = [];
    this.windowCounts = new Map();
    this.setBaseline(undefined);
  }

  state(): MixWatchState {
    return {
      learning: [...this.learning],
      ...(this.baseline ? { baseline: { counts: [...this.baseline.counts], version: this.baseline.version } } : {}),
      window: [...this.window],
    };
  }

  restore(state: MixWatchState): void {
    this.learning = new Map(state.learning);
    this.learnt = sum(this.learning.values());
    this.window = [];
    this.windowCounts = new Map();
    this.setBaseline(
      state.baseline ? { counts: new Map(state.baseline.counts), n: sum(state.baseline.counts.map(([, c]) => c)), version: state.baseline.version } : undefined,
    );
    for (const label of state.window.slice(-this.settings.window)) this.enter(label, 1);
  }

  private setBaseline(baseline: OutcomeMixWatch['baseline']): void {
    this.baseline = baseline;
    this.columns = new Map();
    this.table = { outcomes: [], a: [], b: [] };
    if (!baseline) return;
    // Rare by the baseline's share (Cochran's rule: no expected count in the window below ~5).
    const common = [...baseline.counts].filter(([, count]) => (count / baseline.n) * this.settings.window >= this.settings.minExpected);
    common.forEach(([label, count], index) => {
      this.columns.set(label, index);
      this.table.outcomes.push(label);
      this.table.a.push(count);
    });
    this.table.outcomes.push(POOLED_OUTCOMES);
    this.table.a.push(baseline.n - sum(common.map(([, count]) => count)));
    this.table.b = this.table.a.map(() => 0);
    for (const [label, count] of this.windowCounts) this.table.b[this.columnOf(label)]! += count;
  }

  private columnOf(label: string): number {
    return this.columns.get(label) ?? this.table.outcomes.length - 1;
  }

  /** A decision entering (1) or leaving (-1) the window. */
  private enter(label: string, by: 1 | -1): void {
    if (by === 1) this.window.push(label);
    else this.window.shift();
    add(this.windowCounts, label, by);
    if (this.baseline) this.table.b[this.columnOf(label)]! += by;
  }

  private test(): MixFinding | undefined {
    const baseline = this.baseline!;
    const current = this.windowCounts;
    const n = this.window.length;
    // The statistic against the critical value first (cheap); the whole test only past it.
    const { a, b } = this.table;
    let columns = 0;
    for (let j = 0; j < a.length; j++) if (a[j]! + b[j]! > 0) columns += 1;
    if (columns < 2 || chiSquareStatistic(this.table) < criticalValue(columns - 1, this.settings.pValue)) return undefined;
    const side = (counts: number[]) => this.table.outcomes.map((outcome, j) => ({ outcome, count: counts[j]! }));
    const drift = outcomeDrift(side(a), side(b));
    if (drift.p_value === null || drift.p_value >= this.settings.pValue) return undefined;

    const outcomes = [...new Set([...baseline.counts.keys(), ...current.keys()])]
      .filter((o) => (baseline.counts.get(o) ?? 0) + (current.get(o) ?? 0) > 0)
      .sort();
    const baselineCounts = outcomes.map((o) => baseline.counts.get(o) ?? 0);
    const currentCounts = outcomes.map((o) => current.get(o) ?? 0);
    // The outcome whose share moved most, in the test's own terms: its cells' contribution.
    let subject = outcomes[0]!;
    let largest = -1;
    const total = baseline.n + n;
    outcomes.forEach((outcome, j) => {
      const columnTotal = baselineCounts[j]! + currentCounts[j]!;
      const expectedCurrent = (n * columnTotal) / total;
      const expectedBaseline = (baseline.n * columnTotal) / total;
      const contribution = (currentCounts[j]! - expectedCurrent) ** 2 / expectedCurrent + (baselineCounts[j]! - expectedBaseline) ** 2 / expectedBaseline;
      if (contribution > largest) [largest, subject] = [contribution, outcome];
    });
    const j = outcomes.indexOf(subject);
    return {
      subject,
      direction: currentCounts[j]! / n >= baselineCounts[j]! / baseline.n ? 'up' : 'down',
      statistic: drift.statistic!,
      degreesOfFreedom: drift.degrees_of_freedom,
      pValue: drift.p_value,
      baseline: { n: baseline.n, version: baseline.version },
      current: { n },
      outcomes,
      baselineCounts,
      currentCounts,
    };
  }
}

function add(counts: Map<string, number>, label: string, by: number): void {
  const next = (counts.get(label) ?? 0) + by;
  if (next === 0) counts.delete(label);
  else counts.set(label, next);
}

const criticalValues = new Map<string, number>();

/**
 * The statistic whose p-value is `pValue` for `df` degrees of freedom (bisection on the shared
 * survival function; cached), a little below it so that rounding never skips a test.
 */
function criticalValue(df: number, pValue: number): number {
  const key = `${df}:${pValue}`;
  let value = criticalValues.get(key);
  if (value === undefined) {
    let [low, high] = [0, 1];
    while (chiSquareSurvival(high, df) > pValue) high *= 2;
    for (let i = 0; i < 100; i++) {
      const middle = (low + high) / 2;
      if (chiSquareSurvival(middle, df) > pValue) low = middle;
      else high = middle;
    }
    criticalValues.set(key, (value = low * (1 - 1e-9)));
  }
  return value;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
