import { traceTokenUsage, type ContextSpan, type DecisionRecord, type TokenUsage } from '@decision-trace/model';
import type { TraceDetail } from '@decision-trace/store';

/** A context span as `GET /v1/traces/{traceId}` shows it: with the decisions that sit on it. */
export type TraceViewSpan = ContextSpan & { decision_ids: string[] };

export interface TraceView {
  trace_id: string;
  tenant: string;
  /** Ordered by start time. */
  spans: TraceViewSpan[];
  decisions: DecisionRecord[];
  /** All counted LLM calls of the trace, beneath a decision or not (same rules as the roll-up). */
  token_usage: TokenUsage | null;
}

/** The request trace ↔ decision pivot: each span names its decisions, each decision its span. */
export function traceView(detail: TraceDetail): TraceView {
  const decisionsOnSpan = new Map<string, string[]>();
  for (const decision of detail.decisions) {
    if (decision.span_id === null) continue;
    const ids = decisionsOnSpan.get(decision.span_id);
    if (ids === undefined) decisionsOnSpan.set(decision.span_id, [decision.id]);
    else ids.push(decision.id);
  }
  return {
    trace_id: detail.trace_id,
    tenant: detail.tenant,
    spans: detail.spans.map((span) => ({ ...span, decision_ids: decisionsOnSpan.get(span.span_id) ?? [] })),
    decisions: detail.decisions,
    token_usage: traceTokenUsage(detail.spans),
  };
}
