import type { ReadonlyResource, ReadonlySpan } from '@decision-trace/model';
import type { TraceData } from '../trace-data.js';

/**
 * A policy's verdict on one trace, with the OpenTelemetry Collector's meaning. The inverted
 * ones come from `invert_match` (deprecated upstream, kept so copied configs decide the same):
 * `invert_not_sampled` vetoes sampling, `invert_sampled` samples unless a policy said no.
 */
export type PolicyDecision = 'sampled' | 'not_sampled' | 'invert_sampled' | 'invert_not_sampled' | 'dropped';

export const POLICY_DECISIONS: readonly PolicyDecision[] = ['sampled', 'not_sampled', 'invert_sampled', 'invert_not_sampled', 'dropped'];

/**
 * A policy could not evaluate a trace (an OTTL condition with `error_mode: propagate` failed).
 * As in the Collector, the error passes up through and/not/drop/composite, and the top-level
 * policy it reaches is left out of the trace's final decision.
 */
export class PolicyEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyEvaluationError';
  }
}

/** What policies may report while they evaluate (the sampling engine itself does no I/O). */
export interface PolicyHooks {
  warn?(message: string, fields: Record<string, unknown>): void;
}

export interface PolicyEvaluator {
  evaluate(trace: TraceData): PolicyDecision;
  /** Set by ratio policies: how many traces each sampled one stands for. */
  readonly adjustedCount?: number;
}

/** Sampled when the condition holds for any resource (checked first) or span of the trace. */
export function anyResourceOrSpan(
  trace: TraceData,
  resourceMatches: (resource: ReadonlyResource) => boolean,
  spanMatches: (span: ReadonlySpan) => boolean,
): PolicyDecision {
  let lastResource: ReadonlyResource | undefined;
  for (const group of trace.groups) {
    const resource = group.resourceSpans.resource;
    if (resource !== lastResource) {
      lastResource = resource;
      if (resourceMatches(resource)) return 'sampled';
    }
    for (const span of group.spans) if (spanMatches(span)) return 'sampled';
  }
  return 'not_sampled';
}

/**
 * The `invert_match` form: not sampled as soon as anything matches, else sampled. Plain
 * decisions, as the Collector's attribute policies return since the inverted decisions were
 * deprecated (contrib v0.161.0 never returns them): an inverted match does not veto the other
 * policies, it is one "not sampled" among them.
 */
export function noResourceOrSpan(
  trace: TraceData,
  resourceMatches: (resource: ReadonlyResource) => boolean,
  spanMatches: (span: ReadonlySpan) => boolean,
): PolicyDecision {
  return anyResourceOrSpan(trace, resourceMatches, spanMatches) === 'sampled' ? 'not_sampled' : 'sampled';
}

export function anySpan(trace: TraceData, spanMatches: (span: ReadonlySpan) => boolean): PolicyDecision {
  for (const group of trace.groups) {
    for (const span of group.spans) if (spanMatches(span)) return 'sampled';
  }
  return 'not_sampled';
}
