import type { Clock } from '../../clock.js';
import { OneSecondWindow } from '../../rate/one-second-window.js';
import { TokenBucket } from '../../rate/token-bucket.js';
import { encodedSpanSize } from '../encoded-size.js';
import type { TraceData } from '../trace-data.js';
import type { PolicyDecision, PolicyEvaluator } from './policy.js';

/**
 * `rate_limiting`: samples traces while the spans sampled in the current second stay strictly
 * below `spans_per_second` (the Collector's comparison), counting per wall-clock second.
 */
export class RateLimitingPolicy implements PolicyEvaluator {
  private readonly window: OneSecondWindow;

  constructor(
    private readonly config: { spans_per_second: number },
    clock: Clock,
  ) {
    this.window = new OneSecondWindow(clock);
  }

  evaluate(trace: TraceData): PolicyDecision {
    const ifSampled = this.window.current() + trace.spanCount;
    if (ifSampled < this.config.spans_per_second) {
      this.window.add(trace.spanCount);
      return 'sampled';
    }
    return 'not_sampled';
  }
}

/** `bytes_limiting`: a token bucket of bytes (`bytes_per_second`, `burst_capacity`) over the trace's encoded size. */
export class BytesLimitingPolicy implements PolicyEvaluator {
  private readonly bucket: TokenBucket;

  constructor(config: { bytes_per_second: number; burst_capacity: number }, clock: Clock) {
    this.bucket = new TokenBucket(config.bytes_per_second, config.burst_capacity, clock);
  }

  evaluate(trace: TraceData): PolicyDecision {
    return this.bucket.tryTake(traceEncodedSize(trace)) ? 'sampled' : 'not_sampled';
  }
}

export function traceEncodedSize(trace: TraceData): number {
  if (trace.encodedSize === undefined) {
    let size = 0;
    for (const group of trace.groups) for (const span of group.spans) size += encodedSpanSize(span);
    trace.encodedSize = size;
  }
  return trace.encodedSize;
}
