import type { Attributes, ResourceSpans, Span } from '../src/otlp-types.js';
import { makeResourceSpans, makeSpan } from '@decision-trace/model/testing';

/** The model tests' spans: one fixed trace, numbered span ids, the shared builders' defaults. */

export { BASE_TIME_NANOS, MILLI, makeSpanEvent as spanEvent } from '@decision-trace/model/testing';

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const OTHER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

export function spanId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function span(overrides: Partial<Span> = {}): Span {
  return makeSpan({ traceId: TRACE_ID, ...overrides });
}

export function request(spans: Span[], resourceAttributes: Attributes = { 'service.name': 'refund-service' }): ResourceSpans[] {
  return [
    makeResourceSpans(spans, {
      resourceAttributes,
      scope: 'refund-instrumentation',
      scopeVersion: '1.2.0',
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    }),
  ];
}
