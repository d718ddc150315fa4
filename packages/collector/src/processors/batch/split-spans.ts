import type { ReadonlyResourceSpans, ReadonlyScopeSpans, ReadonlySpan } from '@decision-trace/model';
import { scopeSpansSubset } from '@decision-trace/otlp';
import { spanCarriesDecision as carriesDecision } from '../../exporter-helper/decision-data.js';

export interface SpanPartition {
  decision: readonly ReadonlyResourceSpans[];
  decisionCount: number;
  context: readonly ReadonlyResourceSpans[];
  contextCount: number;
}

/**
 * Separates decision-carrying spans from context spans, keeping each span under its own
 * resource and scope. The common cases (no decision span, or only decision spans) return the
 * input as it is, without copying. The scopes it cuts are subsets of the received ones
 * (scopeSpansSubset), so exporters still forward their spans in the bytes they arrived in.
 */
export function partitionByDecision(resourceSpans: readonly ReadonlyResourceSpans[]): SpanPartition {
  let decisionCount = 0;
  let total = 0;
  for (const rs of resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        total += 1;
        if (carriesDecision(span)) decisionCount += 1;
      }
    }
  }
  if (decisionCount === 0) return { decision: [], decisionCount: 0, context: resourceSpans, contextCount: total };
  if (decisionCount === total) return { decision: resourceSpans, decisionCount, context: [], contextCount: 0 };
  const decision: ReadonlyResourceSpans[] = [];
  const context: ReadonlyResourceSpans[] = [];
  for (const rs of resourceSpans) {
    const decisionScopes: ReadonlyScopeSpans[] = [];
    const contextScopes: ReadonlyScopeSpans[] = [];
    for (const ss of rs.scopeSpans) {
      const decisionSpans: ReadonlySpan[] = [];
      const contextSpans: ReadonlySpan[] = [];
      for (const span of ss.spans) (carriesDecision(span) ? decisionSpans : contextSpans).push(span);
      if (decisionSpans.length > 0) decisionScopes.push(scopeSpansSubset(ss, decisionSpans));
      if (contextSpans.length > 0) contextScopes.push(scopeSpansSubset(ss, contextSpans));
    }
    if (decisionScopes.length > 0) decision.push({ ...rs, scopeSpans: decisionScopes });
    if (contextScopes.length > 0) context.push({ ...rs, scopeSpans: contextScopes });
  }
  return { decision, decisionCount, context, contextCount: total - decisionCount };
}

export interface SpanSlice {
  head: readonly ReadonlyResourceSpans[];
  headCount: number;
  /** A new array: the caller may add to it. */
  tail: ReadonlyResourceSpans[];
  tailCount: number;
}

/**
 * The first `limit` spans and the rest, in order; a resource or scope cut in two appears in
 * both parts (as send_batch_max_size splitting does in the Collector).
 */
export function takeSpans(resourceSpans: readonly ReadonlyResourceSpans[], total: number, limit: number): SpanSlice {
  if (limit >= total) return { head: resourceSpans, headCount: total, tail: [], tailCount: 0 };
  const head: ReadonlyResourceSpans[] = [];
  let taken = 0;
  let r = 0;
  for (; r < resourceSpans.length && taken < limit; r++) {
    const rs = resourceSpans[r];
    const count = spanCountOf(rs);
    if (taken + count <= limit) {
      head.push(rs);
      taken += count;
      continue;
    }
    // This resource is split: its first scopes (and part of one scope) go to the head.
    const headScopes: ReadonlyScopeSpans[] = [];
    const tailScopes: ReadonlyScopeSpans[] = [];
    for (const ss of rs.scopeSpans) {
      const room = limit - taken;
      if (room <= 0) {
        tailScopes.push(ss);
      } else if (ss.spans.length <= room) {
        headScopes.push(ss);
        taken += ss.spans.length;
      } else {
        headScopes.push(scopeSpansSubset(ss, ss.spans.slice(0, room)));
        tailScopes.push(scopeSpansSubset(ss, ss.spans.slice(room)));
        taken += room;
      }
    }
    head.push({ ...rs, scopeSpans: headScopes });
    const tail = [{ ...rs, scopeSpans: tailScopes }, ...resourceSpans.slice(r + 1)];
    return { head, headCount: taken, tail, tailCount: total - taken };
  }
  return { head, headCount: taken, tail: resourceSpans.slice(r), tailCount: total - taken };
}

function spanCountOf(rs: ReadonlyResourceSpans): number {
  let count = 0;
  for (const ss of rs.scopeSpans) count += ss.spans.length;
  return count;
}
