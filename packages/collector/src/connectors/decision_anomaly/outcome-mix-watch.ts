import { NO_OUTCOME, outcomeDrift } from '@decision-trace/model';
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

  constructor(
    private readonly settings: MixSettings,
    private readonly version: string | null,
  ) {}

  /** Starts testing at once against another version's baseline mix. */
  inherit(from: OutcomeMixWatch): void {
    if (from.baseline) this.baseline = { ...from.baseline, counts: new Map(from.baseline.counts) };
  }

  observe(outcome: string | null): MixFinding | undefined {
    const label = outcome ?? NO_OUTCOME;
    if (!this.baseline) {
      add(this.learning, label, 1);
      this.learnt += 1;
      if (this.learnt >= this.settings.baselineWindow) {
        this.baseline = { counts: this.learning, n: this.learnt, version: this.version };
        this.learning = new Map();
        this.learnt = 0;
      }
      return undefined;
    }
    this.window.push(label);
    add(this.windowCounts, label, 1);
    if (this.window.length > this.settings.window) add(this.windowCounts, this.window.shift()!, -1);
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
    this.baseline = state.baseline ? { counts: new Map(state.baseline.counts), n: sum(state.baseline.counts.map(([, c]) => c)), version: state.baseline.version } : undefined;
    this.window = state.window.slice(-this.settings.window);
    this.windowCounts = new Map();
    for (const label of this.window) add(this.windowCounts, label, 1);
  }

  private test(): MixFinding | undefined {
    const baseline = this.baseline!;
    const current = this.windowCounts;
    const n = this.window.length;
    // Pool the outcomes too rare for the test's approximation (judged by the baseline's share).
    const column = (label: string) => ((baseline.counts.get(label) ?? 0) / baseline.n) * n >= this.settings.minExpected ? label : POOLED_OUTCOMES;
    const pooledBaseline = new Map<string, number>();
    const pooledCurrent = new Map<string, number>();
    for (const [label, count] of baseline.counts) add(pooledBaseline, column(label), count);
    for (const [label, count] of current) add(pooledCurrent, column(label), count);
    const drift = outcomeDrift(asCounts(pooledBaseline), asCounts(pooledCurrent));
    if (drift.p_value === null || drift.p_value >= this.settings.pValue) return undefined;

    const outcomes = [...new Set([...baseline.counts.keys(), ...current.keys()])].filter((o) => (baseline.counts.get(o) ?? 0) + (current.get(o) ?? 0) > 0).sort();
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

function asCounts(counts: Map<string, number>): Array<{ outcome: string; count: number }> {
  return [...counts].map(([outcome, count]) => ({ outcome, count }));
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
