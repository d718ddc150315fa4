import type { Clock } from '../clock.js';

/**
 * Counts what was admitted in the current wall-clock second and starts over at the next one:
 * the OpenTelemetry Collector's `rate_limiting` and `composite` tail-sampling policies count
 * spans this way, so a config copied from it admits the same traces.
 */
export class OneSecondWindow {
  private second = Number.NaN;
  private used = 0;

  constructor(private readonly clock: Clock) {}

  /** The amount admitted so far in the current second (starting a new second when due). */
  current(): number {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.used = 0;
    }
    return this.used;
  }

  add(amount: number): void {
    this.current();
    this.used += amount;
  }
}
