import type { RetryConfig } from './config.js';

/**
 * When to try a failed request again: exponential backoff with jitter, bounded by
 * `max_elapsed_time` since the first attempt, and never sooner than the server asked
 * (Retry-After, gRPC RetryInfo). Pure: time and randomness are passed in.
 */
export class RetrySchedule {
  private interval: number;

  constructor(
    private readonly config: RetryConfig,
    private readonly firstAttemptAt: number,
    private readonly random: () => number = Math.random,
  ) {
    this.interval = config.initial_interval;
  }

  /**
   * The wait in milliseconds before the next attempt, after an attempt that failed at `now`;
   * undefined when no attempt is left (retries disabled, or the wait would end past
   * `max_elapsed_time`). `throttleMs` is the server's own wish, honoured when longer.
   */
  next(now: number, throttleMs = 0): number | undefined {
    if (!this.config.enabled) return undefined;
    const spread = this.config.randomization_factor * this.interval;
    const jittered = this.interval - spread + this.random() * 2 * spread;
    this.interval = Math.min(this.interval * this.config.multiplier, this.config.max_interval);
    const wait = Math.max(jittered, throttleMs);
    if (this.config.max_elapsed_time > 0 && now + wait > this.firstAttemptAt + this.config.max_elapsed_time) return undefined;
    return wait;
  }
}
