import { SamplingDecision, type Attributes, type Context, type Link, type Sampler, type SamplingResult, type SpanKind } from '@opentelemetry/api';
import { systemClock, type Clock } from '../clock.js';
import { TokenBucket } from '../rate/token-bucket.js';

/**
 * A head sampler that starts at most `tracesPerSecond` sampled traces per second (token bucket,
 * `burst` at once). Meant as the root sampler of a `ParentBasedSampler`, so child spans follow
 * their root's decision and only new traces spend tokens.
 */
export class RateLimitingSampler implements Sampler {
  private readonly bucket: TokenBucket;

  constructor(
    readonly tracesPerSecond: number,
    options: { burst?: number; clock?: Clock } = {},
  ) {
    if (!(tracesPerSecond >= 0)) throw new RangeError('tracesPerSecond must be non-negative');
    this.bucket = new TokenBucket(tracesPerSecond, options.burst ?? Math.max(1, tracesPerSecond), options.clock ?? systemClock);
  }

  shouldSample(_context: Context, _traceId: string, _name: string, _kind: SpanKind, _attributes: Attributes, _links: Link[]): SamplingResult {
    return { decision: this.bucket.tryTake(1) ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return `RateLimitingSampler{tracesPerSecond=${this.tracesPerSecond}}`;
  }
}
