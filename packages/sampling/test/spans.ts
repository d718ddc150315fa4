import { randomBytes } from 'node:crypto';
import type { AttributeValue, DecisionEvent, ResourceSpans, Span } from '@decision-trace/model';
import type { TraceData } from '../src/tail/trace-data.js';

export const randomTraceId = (): string => randomBytes(16).toString('hex');
export const randomSpanId = (): string => randomBytes(8).toString('hex');

export function span(overrides: Partial<Span> = {}): Span {
  return {
    traceId: overrides.traceId ?? randomTraceId(),
    spanId: randomSpanId(),
    parentSpanId: 'aaaaaaaaaaaaaaaa',
    traceState: '',
    flags: 0,
    name: 'work',
    kind: 1,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_010_000_000n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    ...overrides,
  };
}

export function resourceSpans(spans: Span[], resourceAttributes: Record<string, AttributeValue> = {}): ResourceSpans {
  return {
    resource: { attributes: { 'service.name': 'svc', ...resourceAttributes }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 'test', version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
    schemaUrl: '',
  };
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
  return {
    schema_version: '1.0',
    event_id: `ev-${eventNumber}`,
    event_type: 'decision.observed',
    decision_id: `dec-${eventNumber}`,
    decision_type: 'refund.approve.v2',
    parent_decision_id: null,
    trace_id: null,
    span_id: null,
    tenant_id: 'acme',
    environment: null,
    timestamp: '2025-03-01T10:00:00.000Z',
    actor: null,
    payload: {},
    causal_links: [],
    source: 'otlp.span',
    ...overrides,
  };
}
