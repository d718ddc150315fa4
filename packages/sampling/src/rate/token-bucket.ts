import type { Clock } from '../clock.js';

/**
 * A token bucket: `ratePerSecond` tokens accrue continuously up to `burst`; taking n tokens
 * succeeds only when n are there. Starts full, as golang.org/x/time/rate does (the Collector's
 * `bytes_limiting` policy), so a quiet system admits one burst at once.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSecond >= 0) || !(burst >= 0)) throw new RangeError('rate and burst must be non-negative');
    this.tokens = burst;
    this.last = clock.now();
  }

  tryTake(count = 1): boolean {
    this.refill();
    if (count > this.tokens) return false;
    this.tokens -= count;
    return true;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    }
    this.last = now;
  }
}
