import type { Attributes, ResourceSpans, Span, SpanEvent } from '../src/otlp-types.js';

/** Hand-built OTLP data in the pipeline's normalized shape, as the receiver would produce it. */

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const OTHER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** 2024-05-01T10:00:00.000Z in nanoseconds. */
export const BASE_TIME_NANOS = 1_714_557_600_000_000_000n;
export const MILLI = 1_000_000n;

export function spanId(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function span(overrides: Partial<Span> & { spanId: string }): Span {
  return {
    traceId: TRACE_ID,
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'operation',
    kind: 1,
    startTimeUnixNano: BASE_TIME_NANOS,
    endTimeUnixNano: BASE_TIME_NANOS + 250n * MILLI,
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

export function spanEvent(name: string, attributes: Attributes, offsetMillis = 100n): SpanEvent {
  return { timeUnixNano: BASE_TIME_NANOS + offsetMillis * MILLI, name, attributes, droppedAttributesCount: 0 };
}

export function request(spans: Span[], resourceAttributes: Attributes = { 'service.name': 'refund-service' }): ResourceSpans[] {
  return [
    {
      resource: { attributes: resourceAttributes, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 'refund-instrumentation', version: '1.2.0', attributes: {}, droppedAttributesCount: 0 },
          spans,
          schemaUrl: '',
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    },
  ];
}
