import type { AttributeValue, DecisionEvent, ResourceSpans, Span } from '@decision-trace/model';
import { makeDecisionEvent, makeResourceSpans, makeSpan, randomTraceId } from '@decision-trace/model/testing';
import type { TraceData } from '../src/tail/trace-data.js';

export { randomSpanId, randomTraceId } from '@decision-trace/model/testing';

/** A 10 ms child span of a new trace, sampled flag unset. */
export function span(overrides: Partial<Span> = {}): Span {
  return makeSpan({
    parentSpanId: 'aaaaaaaaaaaaaaaa',
    flags: 0,
    name: 'work',
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_010_000_000n,
    ...overrides,
  });
}

export function resourceSpans(spans: Span[], resourceAttributes: Record<string, AttributeValue> = {}): ResourceSpans {
  return makeResourceSpans(spans, { resourceAttributes: { 'service.name': 'svc', ...resourceAttributes } });
}

/** A TraceData for policy tests: one resource, the given spans. */
export function traceOf(spans: Span[], resourceAttributes: Record<string, AttributeValue> = {}, traceId = spans[0]?.traceId ?? randomTraceId()): TraceData {
  const rs = resourceSpans(spans, resourceAttributes);
  return {
    traceId,
    groups: [{ resourceSpans: rs, scopeSpans: rs.scopeSpans[0], spans }],
    spanCount: spans.length,
    decisions: new Map(),
  };
}

let eventNumber = 0;
export function decisionEvent(overrides: Partial<DecisionEvent> & { payload?: Record<string, unknown> } = {}): DecisionEvent {
  eventNumber++;
  return makeDecisionEvent({ event_id: `ev-${eventNumber}`, decision_id: `dec-${eventNumber}`, tenant_id: 'acme', ...overrides });
}
