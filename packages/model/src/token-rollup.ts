import type { ContextSpan } from './context-span.js';
import type { DecisionRecord } from './record.js';
import { addTokenCounts, emptyTokenUsage, type TokenUsage } from './token-usage.js';

/**
 * Token roll-up: what the model calls beneath a decision cost.
 *
 * A decision sits on its span (the record's `span_id`). The LLM spans of a trace are attributed
 * by walking up from each one to the root:
 * - `token_usage`: the decisions on the FIRST decision span met (the LLM span itself included)
 *   get the call. So a decision counts the LLM calls beneath it that are not beneath a nested
 *   decision, and summing `token_usage` over a trace's decisions counts every call once.
 * - `token_usage_with_nested`: every decision on the way gets the call, each call once per
 *   decision: what the decision's whole subtree cost, nested decisions included.
 * Decisions on the same span (a span's own decision and its `decision` span events) describe
 * the same work and share its usage.
 *
 * Only spans of kind LLM with token counts are calls. When an LLM span has LLM spans with
 * counts beneath it (a framework's LLM span around the provider SDK's, both instrumented),
 * the inner ones are counted and the outer one is not: the same call is never counted twice.
 * A walk stops at a span not stored (yet): calls beneath a missing link are attributed once
 * it arrives, because the roll-up is computed again from all of the trace's spans.
 */
export type RollupSpan = Pick<ContextSpan, 'span_id' | 'parent_span_id' | 'kind' | 'token_usage'>;
export type DecisionAnchor = Pick<DecisionRecord, 'id' | 'span_id'>;

export interface DecisionTokenUsage {
  token_usage: TokenUsage | null;
  token_usage_with_nested: TokenUsage | null;
}

/** One entry per decision given; null usage when no LLM call is attributed to it. */
export function rollUpTokenUsage(spans: readonly RollupSpan[], decisions: readonly DecisionAnchor[]): Map<string, DecisionTokenUsage> {
  const result = new Map<string, DecisionTokenUsage>();
  const decisionsOnSpan = new Map<string, string[]>();
  for (const decision of decisions) {
    result.set(decision.id, { token_usage: null, token_usage_with_nested: null });
    if (decision.span_id === null) continue;
    const onSpan = decisionsOnSpan.get(decision.span_id);
    if (onSpan === undefined) decisionsOnSpan.set(decision.span_id, [decision.id]);
    else if (!onSpan.includes(decision.id)) onSpan.push(decision.id);
  }
  if (decisionsOnSpan.size === 0) return result;

  const parentOf = parentIndex(spans);
  // The call each decision got last: a malformed parent chain that loops must not count a call twice.
  const lastCallOf = new Map<string, number>();
  const calls = countedCalls(spans, parentOf);
  for (let callIndex = 0; callIndex < calls.length; callIndex++) {
    const call = calls[callIndex]!;
    let nearest = true;
    let spanId: string | null = call.span_id;
    // A parent chain with a cycle (malformed input) ends after as many steps as there are spans.
    for (let steps = 0; spanId !== null && steps <= spans.length; steps++) {
      const onSpan = decisionsOnSpan.get(spanId);
      if (onSpan !== undefined) {
        for (const id of onSpan) {
          if (lastCallOf.get(id) === callIndex) continue;
          lastCallOf.set(id, callIndex);
          const usage = result.get(id)!;
          if (nearest) addTokenCounts((usage.token_usage ??= emptyTokenUsage()), call.token_usage!);
          addTokenCounts((usage.token_usage_with_nested ??= emptyTokenUsage()), call.token_usage!);
        }
        nearest = false;
      }
      spanId = parentOf.get(spanId) ?? null;
    }
  }
  return result;
}

/** Usage of all counted LLM calls of a trace (whether or not beneath a decision); null if none. */
export function traceTokenUsage(spans: readonly RollupSpan[]): TokenUsage | null {
  let sum: TokenUsage | null = null;
  for (const call of countedCalls(spans, parentIndex(spans))) addTokenCounts((sum ??= emptyTokenUsage()), call.token_usage!);
  return sum;
}

function parentIndex(spans: readonly RollupSpan[]): Map<string, string | null> {
  const parentOf = new Map<string, string | null>();
  for (const span of spans) parentOf.set(span.span_id, span.parent_span_id);
  return parentOf;
}

/** LLM spans with counts that have no LLM span with counts beneath them. */
function countedCalls(spans: readonly RollupSpan[], parentOf: ReadonlyMap<string, string | null>): RollupSpan[] {
  const calls = spans.filter((span) => span.kind === 'LLM' && span.token_usage !== null);
  if (calls.length < 2) return calls;
  const hasCallBeneath = new Set<string>();
  for (const call of calls) {
    let spanId = call.parent_span_id;
    for (let steps = 0; spanId !== null && !hasCallBeneath.has(spanId) && steps <= spans.length; steps++) {
      hasCallBeneath.add(spanId);
      spanId = parentOf.get(spanId) ?? null;
    }
  }
  return calls.filter((call) => !hasCallBeneath.has(call.span_id));
}
