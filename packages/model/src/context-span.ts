import type { Attributes, Resource, Span } from './otlp-types.js';
import { nanosToRfc3339, toText } from './attribute-values.js';
import { classifySpanKind, type ContextSpanKind, type SpanKindSource } from './span-kind.js';
import { readTokenCounts, type TokenCounts } from './token-usage.js';

/**
 * A span of a trace that holds decisions, as the decision backend keeps it: enough to draw the
 * trace's timeline beside its decisions and to roll token usage up onto them, not the span's
 * every attribute (those stay with the user's tracing backend).
 */
export interface ContextSpan {
  tenant: string;
  trace_id: string;
  span_id: string;
  /** null for a root span. */
  parent_span_id: string | null;
  name: string;
  /** From the GenAI / OpenInference / Traceloop attributes (span-kind.ts); null for other spans. */
  kind: ContextSpanKind | null;
  kind_source: SpanKindSource | null;
  /** The OTel span kind: unspecified, internal, server, client, producer, consumer. */
  span_kind: string;
  service_name: string | null;
  /** RFC 3339 with milliseconds; null when the span has no valid time. */
  start_time: string | null;
  end_time: string | null;
  /** Exact times as decimal nanoseconds since the epoch, for ordering and sub-millisecond timelines. */
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  /** With microsecond precision; null when a time is missing or the end precedes the start. */
  duration_ms: number | null;
  status: 'unset' | 'ok' | 'error';
  status_message: string | null;
  /** `gen_ai.operation.name` as given. */
  operation: string | null;
  model: string | null;
  agent_name: string | null;
  tool_name: string | null;
  token_usage: TokenCounts | null;
}

const SPAN_KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_NAMES = ['unset', 'ok', 'error'] as const;
const MODEL_KEYS = [
  'gen_ai.response.model',
  'gen_ai.request.model',
  'llm.model_name',
  'embedding.model_name',
  'llm.response.model',
  'llm.request.model',
];
const AGENT_KEYS = ['gen_ai.agent.name', 'agent.name'];
const TOOL_KEYS = ['gen_ai.tool.name', 'tool.name'];
const NANOS_PER_MICRO = 1000n;

/** `service.name` of a resource, read once per resource rather than per span. */
export function resourceServiceName(resource: Resource): string | null {
  return toText(resource.attributes['service.name']);
}

export function toContextSpan(span: Span, tenant: string, serviceName: string | null): ContextSpan {
  const attributes = span.attributes;
  const classified = classifySpanKind(attributes);
  const entityName = toText(attributes['traceloop.entity.name']);
  const traceloopKind = toText(attributes['traceloop.span.kind']);
  return {
    tenant,
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId === '' ? null : span.parentSpanId,
    name: span.name,
    kind: classified?.kind ?? null,
    kind_source: classified?.source ?? null,
    span_kind: SPAN_KIND_NAMES[span.kind] ?? 'unspecified',
    service_name: serviceName,
    start_time: spanTime(span.startTimeUnixNano),
    end_time: spanTime(span.endTimeUnixNano),
    start_time_unix_nano: span.startTimeUnixNano.toString(),
    end_time_unix_nano: span.endTimeUnixNano.toString(),
    duration_ms: durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    status: STATUS_NAMES[span.status.code] ?? 'unset',
    status_message: span.status.message === '' ? null : span.status.message,
    operation: toText(attributes['gen_ai.operation.name']),
    model: firstText(attributes, MODEL_KEYS),
    agent_name: firstText(attributes, AGENT_KEYS) ?? (traceloopKind === 'agent' ? entityName : null),
    tool_name: firstText(attributes, TOOL_KEYS) ?? (traceloopKind === 'tool' ? entityName : null),
    token_usage: readTokenCounts(attributes),
  };
}

const NANOS_PER_MILLI = 1_000_000n;
/** 9999-12-31T23:59:59.999Z: up to here an instant is `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
const MAX_FOUR_DIGIT_YEAR_MILLIS = 253_402_300_799_999;
let cachedSecond = -1;
let cachedSecondPrefix = '';

/**
 * nanosToRfc3339, faster: Date#toISOString costs more than the rest of a span's conversion, and
 * a batch's span times mostly fall in the same second, so the text up to the second is reused.
 */
function spanTime(nanos: bigint): string | null {
  if (nanos <= 0n) return null;
  const millis = Number(nanos / NANOS_PER_MILLI);
  if (millis > MAX_FOUR_DIGIT_YEAR_MILLIS) return nanosToRfc3339(nanos);
  const second = Math.floor(millis / 1000);
  if (second !== cachedSecond) {
    // `YYYY-MM-DDTHH:MM:SS.` of the second.
    cachedSecondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = millis - second * 1000;
  return `${cachedSecondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function durationMs(start: bigint, end: bigint): number | null {
  if (start <= 0n || end <= 0n || end < start) return null;
  return Number((end - start) / NANOS_PER_MICRO) / 1000;
}

function firstText(attributes: Attributes, keys: readonly string[]): string | null {
  for (const key of keys) {
    if (!(key in attributes)) continue;
    const text = toText(attributes[key]);
    if (text !== null) return text;
  }
  return null;
}
