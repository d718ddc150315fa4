import type { ReadonlyAttributes, ReadonlyResource, ReadonlySpan } from './readonly-otlp-types.js';
import { nanosToRfc3339, toText } from './attribute-values.js';
import { MAX_FOUR_DIGIT_YEAR_MILLIS, millisToIso, withSubMillis } from './instant.js';
import { classifySpanKind, type ContextSpanKind, type SpanKindSource } from './span-kind.js';
import { readTokenCounts, type TokenCounts } from './token-usage.js';
import { aiAttributeKey, aiAttributeKeys, presentAiKeys, readAiAttribute, type AiAttributeKey, type PresentAiKeys } from './ai-attribute-keys.js';

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
const MODEL_KEYS = aiAttributeKeys([
  'gen_ai.response.model',
  'gen_ai.request.model',
  'llm.model_name',
  'embedding.model_name',
  'llm.response.model',
  'llm.request.model',
]);
const AGENT_KEYS = aiAttributeKeys(['gen_ai.agent.name', 'agent.name']);
const TOOL_KEYS = aiAttributeKeys(['gen_ai.tool.name', 'tool.name']);
const TRACELOOP_ENTITY_NAME = aiAttributeKey('traceloop.entity.name');
const TRACELOOP_KIND = aiAttributeKey('traceloop.span.kind');
const GEN_AI_OPERATION = aiAttributeKey('gen_ai.operation.name');

/** `service.name` of a resource, read once per resource rather than per span. */
export function resourceServiceName(resource: ReadonlyResource): string | null {
  return toText(resource.attributes['service.name']);
}

/**
 * Decoded spans chosen to be kept as context spans, each with the tenant it is stored under and
 * its resource's `service.name` (the arguments of toContextSpan, as parallel arrays). Stores
 * that keep spans as tuples pack these straight from the decoded spans (contextSpanTuple),
 * without a ContextSpan object per span in between.
 */
export interface SelectedContextSpans {
  spans: ReadonlySpan[];
  tenants: string[];
  serviceNames: (string | null)[];
}

export function selectedContextSpans(): SelectedContextSpans {
  return { spans: [], tenants: [], serviceNames: [] };
}

/** The ContextSpans of a selection, for stores that keep spans as objects. */
export function contextSpansOf(selected: SelectedContextSpans): ContextSpan[] {
  const { spans, tenants, serviceNames } = selected;
  const out = new Array<ContextSpan>(spans.length);
  for (let i = 0; i < spans.length; i++) out[i] = toContextSpan(spans[i]!, tenants[i]!, serviceNames[i]!);
  return out;
}

/**
 * A context span's fields without tenant and trace id, in the order stores keep them: a
 * context span travels and is stored as a tuple of these values (ContextSpanTuple), which
 * takes a third of the bytes of an object with keys. Stored data depends on this order: add a
 * field at the end only (a missing trailing value reads as null).
 *
 * Two values are written shorter when they can be: `start_time` / `end_time` as
 * DERIVED_SPAN_TIME when they are what contextSpanTimeOfNanos gives the nanosecond time (nearly
 * always), and `token_usage` as `[input, output, cached, total]`. contextSpanOfTuple also reads
 * the long forms (the SQLite store's migration 4 wrote them).
 */
export const CONTEXT_SPAN_TUPLE_FIELDS = [
  'span_id',
  'parent_span_id',
  'name',
  'kind',
  'kind_source',
  'span_kind',
  'service_name',
  'start_time',
  'end_time',
  'start_time_unix_nano',
  'end_time_unix_nano',
  'duration_ms',
  'status',
  'status_message',
  'operation',
  'model',
  'agent_name',
  'tool_name',
  'token_usage',
] as const satisfies readonly (keyof ContextSpan)[];

// Every field of ContextSpan is in the tuple or beside it: a new field cannot be dropped silently.
type UntupledField = Exclude<keyof ContextSpan, (typeof CONTEXT_SPAN_TUPLE_FIELDS)[number] | 'tenant' | 'trace_id'>;
const everyFieldInTuple: [UntupledField] extends [never] ? true : never = true;
void everyFieldInTuple;

export type ContextSpanTuple = unknown[];

/** In a time's place in a ContextSpanTuple: the time contextSpanTimeOfNanos gives its nanoseconds. */
export const DERIVED_SPAN_TIME = 0;

const START_TIME = 7;
const END_TIME = 8;
const START_NANOS = 9;
const END_NANOS = 10;
const TOKEN_USAGE = 18;

/** contextSpanOfTuple of contextSpanTuple, written out (a literal object is built faster than key by key). */
export function toContextSpan(span: ReadonlySpan, tenant: string, serviceName: string | null): ContextSpan {
  const tuple = contextSpanTuple(span, serviceName);
  const startNanos = tuple[START_NANOS] as string;
  const endNanos = tuple[END_NANOS] as string;
  const start = tuple[START_TIME] as string | null | typeof DERIVED_SPAN_TIME;
  const end = tuple[END_TIME] as string | null | typeof DERIVED_SPAN_TIME;
  return {
    tenant,
    trace_id: span.traceId,
    span_id: tuple[0] as string,
    parent_span_id: tuple[1] as string | null,
    name: tuple[2] as string,
    kind: tuple[3] as ContextSpanKind | null,
    kind_source: tuple[4] as SpanKindSource | null,
    span_kind: tuple[5] as string,
    service_name: serviceName,
    start_time: start === DERIVED_SPAN_TIME ? contextSpanTimeOfNanos(startNanos) : start,
    end_time: end === DERIVED_SPAN_TIME ? contextSpanTimeOfNanos(endNanos) : end,
    start_time_unix_nano: startNanos,
    end_time_unix_nano: endNanos,
    duration_ms: tuple[11] as number | null,
    status: tuple[12] as ContextSpan['status'],
    status_message: tuple[13] as string | null,
    operation: tuple[14] as string | null,
    model: tuple[15] as string | null,
    agent_name: tuple[16] as string | null,
    tool_name: tuple[17] as string | null,
    token_usage: tupleTokenUsage(tuple[TOKEN_USAGE]),
  };
}

/**
 * A decoded span as a ContextSpanTuple, the form stores pack it in, without the ContextSpan
 * object in between (toContextSpan is this tuple read back).
 */
export function contextSpanTuple(span: ReadonlySpan, serviceName: string | null): ContextSpanTuple {
  const attributes = span.attributes;
  // One pass over the attributes, then lookups of only the AI keys there (ai-attribute-keys.ts).
  const present = presentAiKeys(attributes);
  const classified = classifySpanKind(attributes, present);
  const entityName = toText(readAiAttribute(attributes, present, TRACELOOP_ENTITY_NAME));
  const traceloopKind = toText(readAiAttribute(attributes, present, TRACELOOP_KIND));
  const startNanos = span.startTimeUnixNano.toString();
  const endNanos = span.endTimeUnixNano.toString();
  const usage = present === 0 ? null : readTokenCounts(attributes, present);
  return [
    span.spanId,
    span.parentSpanId === '' ? null : span.parentSpanId,
    span.name,
    classified?.kind ?? null,
    classified?.source ?? null,
    SPAN_KIND_NAMES[span.kind] ?? 'unspecified',
    serviceName,
    tupleTime(span.startTimeUnixNano, startNanos),
    tupleTime(span.endTimeUnixNano, endNanos),
    startNanos,
    endNanos,
    durationMs(span.startTimeUnixNano, span.endTimeUnixNano),
    STATUS_NAMES[span.status.code] ?? 'unset',
    span.status.message === '' ? null : span.status.message,
    toText(readAiAttribute(attributes, present, GEN_AI_OPERATION)),
    firstText(attributes, present, MODEL_KEYS),
    firstText(attributes, present, AGENT_KEYS) ?? (traceloopKind === 'agent' ? entityName : null),
    firstText(attributes, present, TOOL_KEYS) ?? (traceloopKind === 'tool' ? entityName : null),
    usage === null ? null : [usage.input, usage.output, usage.cached, usage.total],
  ];
}

/** The span a ContextSpanTuple holds, with its tenant and trace id. */
export function contextSpanOfTuple(tenant: string, traceId: string, tuple: ContextSpanTuple): ContextSpan {
  const span: Record<string, unknown> = { tenant, trace_id: traceId };
  for (let i = 0; i < CONTEXT_SPAN_TUPLE_FIELDS.length; i++) span[CONTEXT_SPAN_TUPLE_FIELDS[i]!] = tuple[i] ?? null;
  if (tuple[START_TIME] === DERIVED_SPAN_TIME) span.start_time = contextSpanTimeOfNanos(tuple[START_NANOS] as string);
  if (tuple[END_TIME] === DERIVED_SPAN_TIME) span.end_time = contextSpanTimeOfNanos(tuple[END_NANOS] as string);
  span.token_usage = tupleTokenUsage(tuple[TOKEN_USAGE]);
  return span as unknown as ContextSpan;
}

/** A tuple's `token_usage`, short (`[input, output, cached, total]`) or long (an object). */
export function tupleTokenUsage(value: unknown): TokenCounts | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) return value as TokenCounts;
  return { input: value[0] as number, output: value[1] as number, cached: value[2] as number, total: value[3] as number };
}

/**
 * A time as a tuple holds it: null without a valid time, DERIVED_SPAN_TIME when it is what
 * contextSpanTimeOfNanos gives (it gives null out of its range), else the time written out.
 */
function tupleTime(nanos: bigint, decimalNanos: string): string | null | typeof DERIVED_SPAN_TIME {
  if (nanos <= 0n) return null;
  // contextSpanTimeOfNanos's range check, without writing the time.
  const millis = millisOfNanos(decimalNanos);
  return millis > 0 && millis <= MAX_FOUR_DIGIT_YEAR_MILLIS ? DERIVED_SPAN_TIME : nanosToRfc3339(nanos);
}

/**
 * RFC 3339 of a decimal nanosecond time, exact (3, 6 or 9 fraction digits, see instant.ts), as
 * toContextSpan writes a span's `start_time` / `end_time`, for instants from
 * 1970-01-01T00:00:00.001Z to 9999-12-31T23:59:59.999999999Z; null for any other text.
 *
 * Stores keep a time this function gives as its nanoseconds alone, and restore it with this
 * function. The millisecond part is cached by millisecond: a batch, whose times mostly fall in
 * the same second, formats each millisecond once (Date#toISOString costs more than the rest of
 * a span's conversion).
 */
export function contextSpanTimeOfNanos(decimalNanos: string): string | null {
  const millis = millisOfNanos(decimalNanos);
  if (!(millis > 0 && millis <= MAX_FOUR_DIGIT_YEAR_MILLIS)) return null;
  // Exact: ToInt32 keeps the low bits of a safe integer.
  const slot = millis & (TIME_CACHE_SLOTS - 1);
  let time: string;
  if (cachedTimeMillis[slot] === millis) time = cachedTimes[slot]!;
  else {
    time = millisToIso(millis);
    cachedTimeMillis[slot] = millis;
    cachedTimes[slot] = time;
  }
  // The nanoseconds within the millisecond, so the time is as exact as the span's (lossless).
  const subMillis = subMillisOfNanos(decimalNanos);
  return subMillis === 0 ? time : withSubMillis(time, subMillis);
}

/** The last six digits of a decimal nanosecond time as a number; 0 unless they are all digits. */
function subMillisOfNanos(decimalNanos: string): number {
  let nanos = 0;
  for (let i = decimalNanos.length - 6; i < decimalNanos.length; i++) {
    const digit = decimalNanos.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return 0;
    nanos = nanos * 10 + digit;
  }
  return nanos;
}

const TIME_CACHE_SLOTS = 1024;
/** Slot → the millisecond whose time the slot holds (0: none, no time has it). */
const cachedTimeMillis = new Float64Array(TIME_CACHE_SLOTS);
const cachedTimes: string[] = new Array<string>(TIME_CACHE_SLOTS).fill('');

/**
 * `Number(decimalNanos.slice(0, -6))` when that is a safe integer, else NaN. Stored rows hold
 * times derived from texts Number read (it also reads blanks, signs, exponents), and the same
 * texts must give the same times; plain digits, what toContextSpan writes, are read in place.
 */
function millisOfNanos(decimalNanos: string): number {
  const end = decimalNanos.length - 6;
  if (end <= 0) return NaN;
  let millis = 0;
  for (let i = 0; i < end; i++) {
    const digit = decimalNanos.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) {
      const read = Number(decimalNanos.slice(0, end));
      return Number.isSafeInteger(read) ? read : NaN;
    }
    millis = millis * 10 + digit;
  }
  // Beyond 2^53 the sum is inexact, but then far beyond year 9999 too.
  return millis;
}

function durationMs(start: bigint, end: bigint): number | null {
  if (start <= 0n || end <= 0n || end < start) return null;
  // Exact to the nanosecond: 250 µs is 0.25, 1 ns is 0.000001.
  return Number(end - start) / 1e6;
}

function firstText(attributes: ReadonlyAttributes, present: PresentAiKeys, keys: readonly AiAttributeKey[]): string | null {
  for (let i = 0; i < keys.length; i++) {
    // One lookup per key present: an absent key reads undefined, which is no text either.
    const text = toText(readAiAttribute(attributes, present, keys[i]!));
    if (text !== null) return text;
  }
  return null;
}
