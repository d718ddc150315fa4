import { parseW3cTraceState } from '../w3c-tracestate.js';
import type { TraceData } from '../trace-data.js';
import { anySpan, type PolicyDecision, type PolicyEvaluator } from './policy.js';
import type { StatusCodeName } from '../policy-config.js';

/** Policies on the trace's own shape: duration, size, status, flags, tracestate. */

export class AlwaysSamplePolicy implements PolicyEvaluator {
  evaluate(): PolicyDecision {
    return 'sampled';
  }
}

/**
 * `latency`: the trace's duration (earliest start to latest end, in whole milliseconds) is
 * above `threshold_ms` (strictly, as the Collector compares); with `upper_threshold_ms`, above
 * `threshold_ms` and at most the upper bound. Like the Collector, the window grows span by span and the first span that brings it
 * into range decides.
 */
export class LatencyPolicy implements PolicyEvaluator {
  constructor(private readonly config: { threshold_ms: number; upper_threshold_ms: number }) {}

  evaluate(trace: TraceData): PolicyDecision {
    const { threshold_ms: lower, upper_threshold_ms: upper } = this.config;
    let min = 0n;
    let max = 0n;
    return anySpan(trace, (span) => {
      if (min === 0n || span.startTimeUnixNano < min) min = span.startTimeUnixNano;
      if (max === 0n || span.endTimeUnixNano > max) max = span.endTimeUnixNano;
      const durationMs = Number((max - min) / 1_000_000n);
      if (upper === 0) return durationMs > lower;
      return lower < durationMs && durationMs <= upper;
    });
  }
}

/** `span_count`: min_spans ≤ spans ≤ max_spans (no upper bound when max_spans is 0). */
export class SpanCountPolicy implements PolicyEvaluator {
  constructor(private readonly config: { min_spans: number; max_spans: number }) {}

  evaluate(trace: TraceData): PolicyDecision {
    const { min_spans: min, max_spans: max } = this.config;
    const count = trace.spanCount;
    return count >= min && (max === 0 || count <= max) ? 'sampled' : 'not_sampled';
  }
}

const STATUS_CODES: Record<StatusCodeName, number> = { UNSET: 0, OK: 1, ERROR: 2 };

/** `status_code`: any span whose status is one of `status_codes`. */
export class StatusCodePolicy implements PolicyEvaluator {
  private readonly codes: Set<number>;

  constructor(config: { status_codes: StatusCodeName[] }) {
    this.codes = new Set(config.status_codes.map((name) => STATUS_CODES[name]));
  }

  evaluate(trace: TraceData): PolicyDecision {
    return anySpan(trace, (span) => this.codes.has(span.status.code));
  }
}

/** `trace_state`: any span whose tracestate (valid W3C, else ignored) has `key` with one of `values`. */
export class TraceStatePolicy implements PolicyEvaluator {
  private readonly values: Set<string>;

  constructor(private readonly config: { key: string; values: string[] }) {
    // A list member longer than 256 characters is not valid W3C tracestate, so it never matches.
    this.values = new Set(config.values.filter((value) => value !== '' && config.key.length + value.length < 256));
  }

  evaluate(trace: TraceData): PolicyDecision {
    return anySpan(trace, (span) => {
      if (span.traceState === '' || !span.traceState.includes(this.config.key)) return false;
      const value = parseW3cTraceState(span.traceState)?.get(this.config.key);
      return value !== undefined && this.values.has(value);
    });
  }
}

/** `trace_flags`: any span with the W3C sampled flag set. */
export class TraceFlagsPolicy implements PolicyEvaluator {
  evaluate(trace: TraceData): PolicyDecision {
    return anySpan(trace, (span) => (span.flags & 1) === 1);
  }
}
