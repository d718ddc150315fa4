import type { DecisionRecord } from '@decision-trace/model';
import { OutcomeMixWatch, type MixSettings, type MixWatchState } from './outcome-mix-watch.js';
import { BernoulliCusum, MeanCusum, twoProportionPValue, type CusumState, type Direction } from './sequential-tests.js';

export interface MonitorSettings {
  /** Decisions of a stream that make its baseline. */
  baselineWindow: number;
  /** Smallest change of a rate (absolute, 0..1) worth an alert. */
  rateShift: number;
  /** Smallest change of the mean confidence worth an alert, in baseline standard deviations. */
  confidenceShift: number;
  /** CUSUM threshold: higher means fewer false alarms and later detection. */
  threshold: number;
  /** A subject (an outcome, a policy) is watched only when the baseline saw it this often. */
  minCount: number;
  /** Example decision ids an alert carries. */
  examples: number;
  /** The chi-square test of the whole outcome mix. */
  mix: MixSettings;
}

export type Signal = 'outcome_rate' | 'outcome_mix' | 'policy_pass_rate' | 'confidence_mean';

export interface AnomalyAlert {
  tenant: string;
  type: string;
  version: string | null;
  signal: Signal;
  /** The outcome or policy watched; empty for confidence. */
  subject: string;
  direction: Direction;
  baseline: { version: string | null; count: number; rate?: number; mean?: number };
  current: { count: number; rate?: number; mean?: number };
  /** Two-proportion z-test of baseline against current (rates); the chi-square test's (mix). */
  p_value?: number;
  /** The chi-square statistic and its degrees of freedom (mix only). */
  statistic?: number;
  degrees_of_freedom?: number;
  /** Every outcome (sorted) with its count in the baseline and in the current window (mix only). */
  outcome_counts?: { outcomes: string[]; baseline: number[]; current: number[] };
  example_decision_ids: string[];
}

const PASSING = new Set(['pass', 'passed', 'ok', 'allow', 'allowed', 'clear', 'true', 'approved']);

/** Whether a policy result counts as a pass: `true`, or a word such as pass, ok, allow. */
export function isPass(result: unknown): boolean {
  return result === true || (typeof result === 'string' && PASSING.has(result.trim().toLowerCase()));
}

type RateFinding = { direction: Direction; baseline: { k: number; n: number; version: string | null }; current: { k: number; n: number } };
type MeanFinding = { direction: Direction; baseline: { n: number; mean: number; version: string | null }; current: { n: number; mean: number } };

/**
 * One rate under watch: it learns its baseline from its first `baselineWindow` observations,
 * then runs a Bernoulli CUSUM against it; after an alert it learns again (the stream's new
 * normal), while the stream's other watches go on.
 */
class RateWatch {
  private learning = { k: 0, n: 0 };
  private cusum?: BernoulliCusum;
  baseline?: { k: number; n: number; version: string | null };
  constructor(
    private readonly settings: MonitorSettings,
    private readonly version: string | null,
  ) {}

  /** Starts watching at once against another version's baseline. */
  inherit(from: RateWatch): void {
    if (from.baseline) this.startFrom(from.baseline);
  }

  observe(value: boolean): RateFinding | undefined {
    if (!this.cusum) {
      this.learning.n += 1;
      if (value) this.learning.k += 1;
      if (this.learning.n >= this.settings.baselineWindow) this.startFrom({ ...this.learning, version: this.version });
      return undefined;
    }
    const direction = this.cusum.observe(value);
    if (!direction) return undefined;
    // The current rate is that of the decisions since the change began (by the CUSUM's estimate).
    const found = { direction, baseline: this.baseline!, current: this.cusum.run };
    this.relearn();
    return found;
  }

  /** Forgets the baseline: the watch learns the stream's new normal. */
  relearn(): void {
    this.cusum = undefined;
    this.baseline = undefined;
    this.learning = { k: 0, n: 0 };
  }

  private startFrom(baseline: { k: number; n: number; version: string | null }): BernoulliCusum | undefined {
    if (baseline.n < this.settings.minCount) return undefined;
    this.baseline = baseline;
    return (this.cusum = new BernoulliCusum(baseline.k / baseline.n, this.settings.rateShift, this.settings.threshold));
  }

  state(): RateWatchState {
    return { learning: { ...this.learning }, ...(this.baseline && this.cusum ? { baseline: { ...this.baseline }, cusum: this.cusum.state() } : {}) };
  }

  restore(state: RateWatchState): void {
    this.learning = { ...state.learning };
    this.cusum = undefined;
    this.baseline = undefined;
    if (!state.baseline || !state.cusum) return;
    this.startFrom(state.baseline)?.restore(state.cusum);
  }
}

export interface RateWatchState {
  learning: { k: number; n: number };
  baseline?: { k: number; n: number; version: string | null };
  cusum?: CusumState;
}

export interface MeanWatchState {
  learning: { n: number; sum: number; sumSquares: number };
  baseline?: { n: number; sum: number; sumSquares: number; version: string | null };
  cusum?: CusumState;
}

/** A stream's watches, as saved across a restart. */
export interface StreamState {
  tenant: string;
  type: string;
  version: string | null;
  outcomes: Array<[string, RateWatchState]>;
  policies: Array<[string, RateWatchState]>;
  confidence: MeanWatchState;
  mix: MixWatchState;
  recent: string[];
}

/** Every stream's watches, and which stream a new version of each type starts from. */
export interface MonitorsState {
  streams: StreamState[];
  /** Indexes into `streams`: the latest established stream of each (tenant, type). */
  latest: number[];
}

/** The mean confidence under watch, as RateWatch does with a CUSUM on the mean. */
class MeanWatch {
  private learning = { n: 0, sum: 0, sumSquares: 0 };
  private cusum?: MeanCusum;
  baseline?: { n: number; sum: number; sumSquares: number; version: string | null };

  constructor(
    private readonly settings: MonitorSettings,
    private readonly version: string | null,
  ) {}

  inherit(from: MeanWatch): void {
    if (from.baseline) this.startFrom(from.baseline);
  }

  observe(value: number): MeanFinding | undefined {
    if (!this.cusum) {
      this.learning.n += 1;
      this.learning.sum += value;
      this.learning.sumSquares += value * value;
      if (this.learning.n >= this.settings.baselineWindow) this.startFrom({ ...this.learning, version: this.version });
      return undefined;
    }
    const direction = this.cusum.observe(value);
    if (!direction) return undefined;
    const b = this.baseline!;
    const run = this.cusum.run;
    const found = { direction, baseline: { n: b.n, mean: b.sum / b.n, version: b.version }, current: { n: run.n, mean: run.sum / run.n } };
    this.cusum = undefined;
    this.baseline = undefined;
    this.learning = { n: 0, sum: 0, sumSquares: 0 };
    return found;
  }

  private startFrom(baseline: { n: number; sum: number; sumSquares: number; version: string | null }): MeanCusum | undefined {
    if (baseline.n < this.settings.minCount) return undefined;
    const mean = baseline.sum / baseline.n;
    // A constant confidence still has a scale: a change of 0.01 is one deviation.
    const deviation = Math.max(Math.sqrt(Math.max(0, baseline.sumSquares / baseline.n - mean * mean)), 0.01);
    this.baseline = baseline;
    return (this.cusum = new MeanCusum(mean, deviation, this.settings.threshold, this.settings.confidenceShift / 2));
  }

  state(): MeanWatchState {
    return { learning: { ...this.learning }, ...(this.baseline && this.cusum ? { baseline: { ...this.baseline }, cusum: this.cusum.state() } : {}) };
  }

  restore(state: MeanWatchState): void {
    this.learning = { ...state.learning };
    this.cusum = undefined;
    this.baseline = undefined;
    if (!state.baseline || !state.cusum) return;
    this.startFrom(state.baseline)?.restore(state.cusum);
  }
}

/**
 * Watches the decisions of one type and version of one tenant: each outcome's rate, the whole
 * outcome mix (chi-square), each policy's pass rate and the mean confidence, each against a
 * baseline it learns from its first observations, or, for a new version, the previous version's.
 */
export class DecisionStreamMonitor {
  readonly outcomes = new Map<string, RateWatch>();
  readonly policies = new Map<string, RateWatch>();
  readonly confidence: MeanWatch;
  readonly mix: OutcomeMixWatch;
  private readonly recent: string[] = [];

  constructor(
    readonly key: { tenant: string; type: string; version: string | null },
    private readonly settings: MonitorSettings,
    predecessor?: DecisionStreamMonitor,
  ) {
    this.confidence = new MeanWatch(settings, key.version);
    this.mix = new OutcomeMixWatch(settings.mix, key.version);
    if (predecessor) {
      this.confidence.inherit(predecessor.confidence);
      this.mix.inherit(predecessor.mix);
      for (const [outcome, watch] of predecessor.outcomes) this.watchOf(this.outcomes, outcome).inherit(watch);
      for (const [policy, watch] of predecessor.policies) this.watchOf(this.policies, policy).inherit(watch);
    }
  }

  /** Whether any of its watches has a baseline (a next version can start from it). */
  get established(): boolean {
    return (
      this.confidence.baseline !== undefined ||
      (this.settings.mix.enabled && this.mix.baseline !== undefined) ||
      [...this.outcomes.values(), ...this.policies.values()].some((w) => w.baseline !== undefined)
    );
  }

  state(): StreamState {
    return {
      ...this.key,
      outcomes: [...this.outcomes].map(([outcome, watch]) => [outcome, watch.state()]),
      policies: [...this.policies].map(([policy, watch]) => [policy, watch.state()]),
      confidence: this.confidence.state(),
      mix: this.mix.state(),
      recent: [...this.recent],
    };
  }

  restore(state: StreamState): void {
    for (const [outcome, watch] of state.outcomes) this.watchOf(this.outcomes, outcome).restore(watch);
    for (const [policy, watch] of state.policies) this.watchOf(this.policies, policy).restore(watch);
    this.confidence.restore(state.confidence);
    this.mix.restore(state.mix);
    this.recent.splice(0, this.recent.length, ...state.recent.slice(-this.settings.examples));
  }

  observe(record: DecisionRecord): AnomalyAlert[] {
    this.recent.push(record.id);
    if (this.recent.length > this.settings.examples) this.recent.shift();
    const alerts: AnomalyAlert[] = [];
    if (record.outcome !== null) this.watchOf(this.outcomes, record.outcome);
    // The outcomes are one mix: one shift of it (approvals up, denials down) is one alert, from
    // whichever test finds it first, after which every outcome and the mix learn the new mix.
    let mixShifted = false;
    for (const [outcome, watch] of this.outcomes) {
      const found = watch.observe(record.outcome === outcome);
      if (!found) continue;
      alerts.push(this.rateAlert('outcome_rate', outcome, found));
      for (const other of this.outcomes.values()) other.relearn();
      this.mix.relearn();
      mixShifted = true;
      break;
    }
    if (this.settings.mix.enabled && !mixShifted) {
      const found = this.mix.observe(record.outcome);
      if (found) {
        for (const watch of this.outcomes.values()) watch.relearn();
        alerts.push({
          ...this.key,
          signal: 'outcome_mix',
          subject: found.subject,
          direction: found.direction,
          baseline: { version: found.baseline.version, count: found.baseline.n },
          current: { count: found.current.n },
          p_value: found.pValue,
          statistic: found.statistic,
          degrees_of_freedom: found.degreesOfFreedom,
          outcome_counts: { outcomes: found.outcomes, baseline: found.baselineCounts, current: found.currentCounts },
          example_decision_ids: [...this.recent],
        });
      }
    }
    for (const check of record.policy_checks) {
      const found = this.watchOf(this.policies, check.policy).observe(isPass(check.result));
      if (found) alerts.push(this.rateAlert('policy_pass_rate', check.policy, found));
    }
    if (record.confidence !== null) {
      const found = this.confidence.observe(record.confidence);
      if (found) {
        alerts.push({
          ...this.key,
          signal: 'confidence_mean',
          subject: '',
          direction: found.direction,
          baseline: { version: found.baseline.version, count: found.baseline.n, mean: found.baseline.mean },
          current: { count: found.current.n, mean: found.current.mean },
          example_decision_ids: [...this.recent],
        });
      }
    }
    return alerts;
  }

  private watchOf(watches: Map<string, RateWatch>, subject: string): RateWatch {
    let watch = watches.get(subject);
    if (!watch) watches.set(subject, (watch = new RateWatch(this.settings, this.key.version)));
    return watch;
  }

  private rateAlert(signal: Signal, subject: string, found: RateFinding): AnomalyAlert {
    const { baseline, current } = found;
    return {
      ...this.key,
      signal,
      subject,
      direction: found.direction,
      baseline: { version: baseline.version, count: baseline.n, rate: baseline.k / baseline.n },
      current: { count: current.n, rate: current.k / current.n },
      p_value: twoProportionPValue(baseline.k, baseline.n, current.k, current.n),
      example_decision_ids: [...this.recent],
    };
  }
}

/**
 * The monitors of every tenant, type and version seen. A version met for the first time starts
 * from the baseline of the version of its type watched before it, so "v3 approves more than v2"
 * is noticed without first learning v3's own (shifted) normal.
 */
export class DecisionMonitors {
  private readonly streams = new Map<string, DecisionStreamMonitor>();
  /** (tenant, type) → the stream whose baseline a new version starts from. */
  private readonly latestByType = new Map<string, DecisionStreamMonitor>();

  constructor(private readonly settings: MonitorSettings) {}

  state(): MonitorsState {
    const streams = [...this.streams.values()];
    return { streams: streams.map((s) => s.state()), latest: [...this.latestByType.values()].map((s) => streams.indexOf(s)).filter((i) => i >= 0) };
  }

  /** Takes up saved watches (replacing any of the same stream). */
  restore(state: MonitorsState): void {
    const restored = state.streams.map((saved) => {
      const stream = new DecisionStreamMonitor({ tenant: saved.tenant, type: saved.type, version: saved.version }, this.settings);
      stream.restore(saved);
      this.streams.set(`${saved.tenant}\u0000${saved.type}\u0000${saved.version ?? ''}`, stream);
      return stream;
    });
    for (const index of state.latest) {
      const stream = restored[index];
      if (stream) this.latestByType.set(`${stream.key.tenant}\u0000${stream.key.type}`, stream);
    }
  }

  /** How many streams are watched. */
  get size(): number {
    return this.streams.size;
  }

  observe(record: DecisionRecord): AnomalyAlert[] {
    if (record.type === null) return [];
    const typeKey = `${record.tenant}\u0000${record.type}`;
    const key = `${typeKey}\u0000${record.version ?? ''}`;
    let stream = this.streams.get(key);
    if (!stream) {
      const previous = this.latestByType.get(typeKey);
      stream = new DecisionStreamMonitor({ tenant: record.tenant, type: record.type, version: record.version }, this.settings, previous);
      this.streams.set(key, stream);
    }
    const alerts = stream.observe(record);
    if (stream.established) this.latestByType.set(typeKey, stream);
    return alerts;
  }
}
