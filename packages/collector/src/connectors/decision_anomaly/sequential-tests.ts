/**
 * The sequential tests of the decision_anomaly connector. Pure: no clock, no I/O.
 *
 * A CUSUM accumulates evidence that a stream moved away from its baseline and signals once the
 * evidence passes a threshold `h`: the larger `h`, the rarer false alarms and the later a real
 * shift is noticed (the test in decision-anomaly.test.ts states both for the defaults).
 */

export type Direction = 'up' | 'down';

/** A CUSUM's two sides and the runs since each last stood at zero (`k` for rates, `sum` for means). */
export interface CusumState {
  up: number;
  down: number;
  upRun: { n: number; k?: number; sum?: number };
  downRun: { n: number; k?: number; sum?: number };
}

const MIN_RATE = 0.001;
const clampRate = (p: number) => Math.min(1 - MIN_RATE, Math.max(MIN_RATE, p));

/**
 * Two-sided Bernoulli CUSUM (log-likelihood ratio of rate p0 ± shift against p0): one step per
 * observation, a signal when either side passes `threshold`.
 */
export class BernoulliCusum {
  private up = 0;
  private down = 0;
  /** Observations since each side last stood at zero: the estimate of where the change began. */
  private upRun = { k: 0, n: 0 };
  private downRun = { k: 0, n: 0 };
  /** After a signal: the observations of the side that signalled, since the change began. */
  run = { k: 0, n: 0 };
  private readonly upIfTrue: number;
  private readonly upIfFalse: number;
  private readonly downIfTrue: number;
  private readonly downIfFalse: number;

  constructor(
    baselineRate: number,
    shift: number,
    private readonly threshold: number,
  ) {
    const p0 = clampRate(baselineRate);
    const higher = clampRate(p0 + shift);
    const lower = clampRate(p0 - shift);
    this.upIfTrue = Math.log(higher / p0);
    this.upIfFalse = Math.log((1 - higher) / (1 - p0));
    this.downIfTrue = Math.log(lower / p0);
    this.downIfFalse = Math.log((1 - lower) / (1 - p0));
  }

  /** The accumulated evidence, to save across a restart (the parameters come from the baseline). */
  state(): CusumState {
    return { up: this.up, down: this.down, upRun: { ...this.upRun }, downRun: { ...this.downRun } };
  }

  restore(state: CusumState): void {
    ({ up: this.up, down: this.down } = state);
    this.upRun = { k: state.upRun.k ?? 0, n: state.upRun.n };
    this.downRun = { k: state.downRun.k ?? 0, n: state.downRun.n };
  }

  observe(value: boolean): Direction | undefined {
    this.up = Math.max(0, this.up + (value ? this.upIfTrue : this.upIfFalse));
    this.down = Math.max(0, this.down + (value ? this.downIfTrue : this.downIfFalse));
    this.upRun = this.up === 0 ? { k: 0, n: 0 } : { k: this.upRun.k + (value ? 1 : 0), n: this.upRun.n + 1 };
    this.downRun = this.down === 0 ? { k: 0, n: 0 } : { k: this.downRun.k + (value ? 1 : 0), n: this.downRun.n + 1 };
    if (this.up > this.threshold) {
      this.run = this.upRun;
      return 'up';
    }
    if (this.down > this.threshold) {
      this.run = this.downRun;
      return 'down';
    }
    return undefined;
  }
}

/**
 * Two-sided CUSUM on a mean, in units of the baseline's standard deviation: detects the mean
 * moving by about 2·`slack` deviations.
 */
export class MeanCusum {
  private up = 0;
  private down = 0;
  private upRun = { sum: 0, n: 0 };
  private downRun = { sum: 0, n: 0 };
  /** After a signal: the values of the side that signalled, since the change began. */
  run = { sum: 0, n: 0 };

  constructor(
    private readonly mean: number,
    private readonly deviation: number,
    private readonly threshold: number,
    private readonly slack = 0.5,
  ) {}

  state(): CusumState {
    return { up: this.up, down: this.down, upRun: { ...this.upRun }, downRun: { ...this.downRun } };
  }

  restore(state: CusumState): void {
    ({ up: this.up, down: this.down } = state);
    this.upRun = { sum: state.upRun.sum ?? 0, n: state.upRun.n };
    this.downRun = { sum: state.downRun.sum ?? 0, n: state.downRun.n };
  }

  observe(value: number): Direction | undefined {
    const z = (value - this.mean) / this.deviation;
    this.up = Math.max(0, this.up + z - this.slack);
    this.down = Math.max(0, this.down - z - this.slack);
    this.upRun = this.up === 0 ? { sum: 0, n: 0 } : { sum: this.upRun.sum + value, n: this.upRun.n + 1 };
    this.downRun = this.down === 0 ? { sum: 0, n: 0 } : { sum: this.downRun.sum + value, n: this.downRun.n + 1 };
    if (this.up > this.threshold) {
      this.run = this.upRun;
      return 'up';
    }
    if (this.down > this.threshold) {
      this.run = this.downRun;
      return 'down';
    }
    return undefined;
  }
}

/** Two-sided p-value of a two-proportion z-test (baseline k0/n0 against current k1/n1). */
export function twoProportionPValue(k0: number, n0: number, k1: number, n1: number): number {
  if (n0 === 0 || n1 === 0) return 1;
  const pooled = (k0 + k1) / (n0 + n1);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
  if (se === 0) return k0 / n0 === k1 / n1 ? 1 : 0;
  const z = Math.abs(k1 / n1 - k0 / n0) / se;
  return erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfc, relative error below 1.2e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? y : 2 - y;
}
