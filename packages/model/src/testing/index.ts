/**
 * Builders of OTLP data in the pipeline's normalized shape, for tests of every package
 * (`@decision-trace/model/testing`): one place that knows every field a span needs, so a new
 * field is added once. Every default can be overridden.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_TENANT, SCHEMA_VERSION, type DecisionEvent } from '../event.js';
import type { Attributes, ResourceSpans, Span, SpanEvent } from '../otlp-types.js';

/** 2024-05-01T10:00:00.000Z in nanoseconds: the default start of a built span. */
export const BASE_TIME_NANOS = 1_714_557_600_000_000_000n;
/** One millisecond in nanoseconds. */
export const MILLI = 1_000_000n;

export const randomTraceId = (): string => randomBytes(16).toString('hex');
export const randomSpanId = (): string => randomBytes(8).toString('hex');

/** A root span (no parent) of a new trace, 250 ms long from BASE_TIME_NANOS, unless overridden. */
export function makeSpan(overrides: Partial<Span> = {}): Span {
  return {
    traceId: randomTraceId(),
    spanId: randomSpanId(),
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

/**
 * The span as a decoder's outline gives it (@decision-trace/otlp, span-outline.ts): its ids, and
 * every other field empty. What tests expect of a span that cannot hold a decision.
 */
export function makeSpanOutline(span: Pick<Span, 'traceId' | 'spanId' | 'parentSpanId'>): Span {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

/** A span event `offsetMillis` after BASE_TIME_NANOS. */
export function makeSpanEvent(name: string, attributes: Attributes, offsetMillis = 100n): SpanEvent {
  return { timeUnixNano: BASE_TIME_NANOS + offsetMillis * MILLI, name, attributes, droppedAttributesCount: 0 };
}

export interface ResourceOptions {
  /** Default: `{ 'service.name': 'refund-service' }`. */
  resourceAttributes?: Attributes;
  /** The instrumentation scope's name; default `test`. */
  scope?: string;
  scopeVersion?: string;
  schemaUrl?: string;
}

/** One resource with one scope holding the spans. */
export function makeResourceSpans(spans: Span[], options: ResourceOptions = {}): ResourceSpans {
  return {
    resource: { attributes: options.resourceAttributes ?? { 'service.name': 'refund-service' }, droppedAttributesCount: 0 },
    scopeSpans: [
      { scope: { name: options.scope ?? 'test', version: options.scopeVersion ?? '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' },
    ],
    schemaUrl: options.schemaUrl ?? '',
  };
}

/**
 * A decision event as the decision processor would put it on a batch: an observed
 * `refund.approve.v2` decision `d` in the default tenant, with no trace, actor or payload,
 * unless overridden.
 */
export function makeDecisionEvent(overrides: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    schema_version: SCHEMA_VERSION,
    event_id: 'e',
    event_type: 'decision.observed',
    decision_id: 'd',
    decision_type: 'refund.approve.v2',
    parent_decision_id: null,
    trace_id: null,
    span_id: null,
    tenant_id: DEFAULT_TENANT,
    environment: null,
    timestamp: '2025-03-01T10:00:00.000Z',
    actor: null,
    payload: {},
    causal_links: [],
    source: 'otlp.span',
    ...overrides,
  };
}
