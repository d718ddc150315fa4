import { SPAN_EVENT_DECISION, spanDecisionId, type ReadonlySpan } from '@decision-trace/model';
import type { TraceBatch } from '../component/component.js';

/** A span that is, or holds, decision data: a decision span, a `dt.*` span, or one with a `decision` event. */
export function spanCarriesDecision(span: ReadonlySpan): boolean {
  if (spanDecisionId(span) !== null) return true;
  for (const event of span.events) if (event.name === SPAN_EVENT_DECISION) return true;
  return false;
}

/**
 * Whether a batch holds decision data: decision events, or spans that carry a decision (a
 * decision span, a `dt.*` span, a `decision` span event). Such requests are never the ones
 * dropped to make room.
 */
export function carriesDecisionData(batch: TraceBatch): boolean {
  if (batch.decisions.length > 0) return true;
  for (const resourceSpans of batch.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) if (spanCarriesDecision(span)) return true;
    }
  }
  return false;
}
