import type { Clock } from '../clock.js';
import { LruMap } from '@decision-trace/model';
import { TokenBucket } from './token-bucket.js';

/**
 * The `rate_limiting` processor's engine: a token bucket over spans or over traces, one bucket
 * per key (the whole stream, a service, or a decision type). In traces mode a trace is admitted
 * or refused once, when first seen, and every later span of it follows that verdict.
 */
export interface RateLimiterConfig {
  spans_per_second?: number;
  traces_per_second?: number;
  /** Bucket size; defaults to one second's worth of the rate. */
  burst?: number;
  /** Keys remembered (least recently used forgotten first). */
  max_keys?: number;
  /** Traces whose verdict is remembered in traces mode. */
  max_traces?: number;
}

export class RateLimiter {
  readonly unit: 'spans' | 'traces';
  /** What the buckets decided, in `unit`s: every span in spans mode, every new trace in traces mode. */
  readonly decided = { admitted: 0, refused: 0 };
  private readonly rate: number;
  private readonly burst: number;
  private readonly buckets: LruMap<string, TokenBucket>;
  private readonly traceVerdicts: LruMap<string, boolean>;

  constructor(
    config: RateLimiterConfig,
    private readonly clock: Clock,
  ) {
    const spans = config.spans_per_second;
    const traces = config.traces_per_second;
    if ((spans === undefined) === (traces === undefined)) {
      throw new Error('exactly one of spans_per_second and traces_per_second is required');
    }
    this.unit = spans !== undefined ? 'spans' : 'traces';
    this.rate = (spans ?? traces)!;
    this.burst = config.burst ?? Math.max(1, this.rate);
    this.buckets = new LruMap(config.max_keys ?? 10_000);
    this.traceVerdicts = new LruMap(config.max_traces ?? 100_000);
  }

  /** Whether one span (of `traceId`, counted under `key`) passes. */
  admit(traceId: string, key = ''): boolean {
    if (this.unit === 'traces') {
      const known = this.traceVerdicts.get(traceId);
      if (known !== undefined) return known;
    }
    const admitted = this.bucket(key).tryTake(1);
    if (admitted) this.decided.admitted++;
    else this.decided.refused++;
    if (this.unit === 'traces') this.traceVerdicts.set(traceId, admitted);
    return admitted;
  }

  private bucket(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.rate, this.burst, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
