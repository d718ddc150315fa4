import type { ReadonlyDecisionEvent, TraceSampling } from '@decision-trace/model';
import { withSampling } from './sampling-events.js';

export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}:${spanId}`;
}

/** The spans the batch's decision events came from: only their verdicts need remembering. */
export function spansWithDecisions(decisions: readonly ReadonlyDecisionEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const event of decisions) if (event.trace_id && event.span_id) keys.add(spanKey(event.trace_id, event.span_id));
  return keys;
}

/** A new array of the events, each with the sampler's verdict (copies: events may be shared). */
export function annotateDecisions<E extends ReadonlyDecisionEvent>(decisions: E[], verdictOf: (event: E) => TraceSampling | undefined): E[] {
  if (decisions.length === 0) return decisions;
  return decisions.map((event) => {
    const sampling = verdictOf(event);
    return sampling === undefined ? event : withSampling(event, sampling);
  });
}
