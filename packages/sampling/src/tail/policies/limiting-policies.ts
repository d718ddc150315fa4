import type { ReadonlyScopeSpans } from '@decision-trace/model';
import type { Clock } from '../../clock.js';
import { TokenBucket } from '../../rate/token-bucket.js';
import { encodedSpanSize, messageField, resourceSize, scopeSize } from '../encoded-size.js';
import type { TraceData } from '../trace-data.js';
import type { PolicyDecision, PolicyEvaluator } from './policy.js';

/**
 * `rate_limiting`: a token bucket of spans (`spans_per_second`, `burst_capacity`, default twice
 * the rate) that a trace takes all its spans from, or is not sampled — golang.org/x/time/rate's
 * `AllowN`, as the Collector's policy uses it. A trace larger than the burst is never sampled.
 */
export class RateLimitingPolicy implements PolicyEvaluator {
  private readonly bucket: TokenBucket;

  constructor(config: { spans_per_second: number; burst_capacity: number }, clock: Clock) {
    this.bucket = new TokenBucket(config.spans_per_second, config.burst_capacity, clock);
  }

  evaluate(trace: TraceData): PolicyDecision {
    return this.bucket.tryTake(trace.spanCount) ? 'sampled' : 'not_sampled';
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

/**
 * The trace's size as the Collector's `bytes_limiting` counts it: the protobuf size of the trace
 * as it holds it — one ResourceSpans per resource a batch brought spans of the trace under, its
 * spans grouped by scope, resource and scope written whole, schema URLs not kept.
 */
export function traceEncodedSize(trace: TraceData): number {
  if (trace.encodedSize === undefined) {
    let size = 0;
    let i = 0;
    while (i < trace.groups.length) {
      const resourceSpans = trace.groups[i].resourceSpans;
      const scopes = new Map<ReadonlyScopeSpans, number>();
      for (; i < trace.groups.length && trace.groups[i].resourceSpans === resourceSpans; i++) {
        const group = trace.groups[i];
        let spans = scopes.get(group.scopeSpans) ?? 0;
        for (const span of group.spans) spans += messageField(encodedSpanSize(span));
        scopes.set(group.scopeSpans, spans);
      }
      let content = messageField(resourceSize(resourceSpans.resource));
      for (const [scopeSpans, spans] of scopes) {
        content += messageField(messageField(scopeSize(scopeSpans.scope)) + spans);
      }
      size += messageField(content);
    }
    trace.encodedSize = size;
  }
  return trace.encodedSize;
}
