import type { DecisionRecord } from '@decision-trace/model';
import { BernoulliCusum, MeanCusum, twoProportionPValue, type Direction } from './sequential-tests.js';

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
}

export type Signal = 'outcome_rate' | 'policy_pass_rate' | 'confidence_mean';

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
  /** Two-proportion z-test of baseline against current (rates only). */
  p_value?: number;
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

  private startFrom(baseline: { k: number; n: number; version: string | null }): void {
    if (baseline.n < this.settings.minCount) return;
    this.baseline = baseline;
    this.cusum = new BernoulliCusum(baseline.k / baseline.n, this.settings.rateShift, this.settings.threshold);
  }
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

  private startFrom(baseline: { n: number; sum: number; sumSquares: number; version: string | null }): void {
    if (baseline.n < this.settings.minCount) return;
    const mean = baseline.sum / baseline.n;
    // A constant confidence still has a scale: a change of 0.01 is one deviation.
    const deviation = Math.max(Math.sqrt(Math.max(0, baseline.sumSquares / baseline.n - mean * mean)), 0.01);
    this.baseline = baseline;
    this.cusum = new MeanCusum(mean, deviation, this.settings.threshold, this.settings.confidenceShift / 2);
  }
}

/**
 * Watches the decisions of one type and version of one tenant: each outcome's rate, each
 * policy's pass rate and the mean confidence, each against a baseline it learns from its first
 * `baselineWindow` observations, or, for a new version, the previous version's.
 */
export class DecisionStreamMonitor {
  readonly outcomes = new Map<string, RateWatch>();
  readonly policies = new Map<string, RateWatch>();
  readonly confidence: MeanWatch;
  private readonly recent: string[] = [];

  constructor(
    private readonly key: { tenant: string; type: string; version: string | null },
    private readonly settings: MonitorSettings,
    predecessor?: DecisionStreamMonitor,
  ) {
    this.confidence = new MeanWatch(settings, key.version);
    if (predecessor) {
      this.confidence.inherit(predecessor.confidence);
      for (const [outcome, watch] of predecessor.outcomes) this.watchOf(this.outcomes, outcome).inherit(watch);
      for (const [policy, watch] of predecessor.policies) this.watchOf(this.policies, policy).inherit(watch);
    }
  }

  /** Whether any of its watches has a baseline (a next version can start from it). */
  get established(): boolean {
    return this.confidence.baseline !== undefined || [...this.outcomes.values(), ...this.policies.values()].some((w) => w.baseline !== undefined);
  }

  observe(record: DecisionRecord): AnomalyAlert[] {
    this.recent.push(record.id);
    if (this.recent.length > this.settings.examples) this.recent.shift();
    const alerts: AnomalyAlert[] = [];
    if (record.outcome !== null) this.watchOf(this.outcomes, record.outcome);
    for (const [outcome, watch] of this.outcomes) {
      const found = watch.observe(record.outcome === outcome);
      if (!found) continue;
      // The outcomes are one mix: one shift of it (approvals up, denials down) is one alert,
      // after which every outcome learns the new mix.
      alerts.push(this.rateAlert('outcome_rate', outcome, found));
      for (const other of this.outcomes.values()) other.relearn();
      break;
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
