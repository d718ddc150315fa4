import type { ContextSpan, RollupSpan, TokenCounts } from '@decision-trace/model';

/**
 * Context spans as the SQLite store keeps and moves them: one pack per (tenant, trace) of an
 * append call, its spans one JSON array of value tuples. A collector batch brings a handful of
 * spans of each of its traces; storing them as one row instead of one row each cuts the rows
 * (and their index entries) written per span tenfold, and keyless tuples take a third of the
 * bytes.
 * Packs are built in the caller's thread, so the store worker receives one string per trace
 * instead of structured-cloned span objects.
 */
export interface ContextSpanPack {
  tenant: string;
  /** Lowercase (trace ids are matched case-insensitively). */
  trace_id: string;
  /** JSON array of SpanTuple, in the order the spans were given. */
  spans: string;
  /** Spans in `spans`. */
  count: number;
}

/**
 * A span's fields without tenant and trace id (the pack's), in this order. Stored data depends
 * on it: add a field at the end only (decoding reads a missing trailing value as null).
 *
 * Two values are stored shorter when they can be: `start_time` / `end_time` as 0 when they are
 * what the nanosecond time gives (nearly always: toContextSpan derives them so), and
 * `token_usage` as `[input, output, cached, total]`. Decoding also reads the long forms, which
 * migration 4 wrote.
 */
const TUPLE_FIELDS = [
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

// Every field of ContextSpan is in the tuple or the pack: a new field cannot be dropped silently.
type UnpackedField = Exclude<keyof ContextSpan, (typeof TUPLE_FIELDS)[number] | 'tenant' | 'trace_id'>;
const everyFieldPacked: [UnpackedField] extends [never] ? true : never = true;
void everyFieldPacked;

export type SpanTuple = unknown[];

const SPAN_ID = 0;
const PARENT_SPAN_ID = 1;
const KIND = 3;
const START_TIME = 7;
const END_TIME = 8;
const START_NANOS = 9;
const END_NANOS = 10;
const TOKEN_USAGE = 18;
/** In a time's place: the time is the one its nanosecond time gives. */
const DERIVED_TIME = 0;

function toTuple(span: ContextSpan): SpanTuple {
  const usage = span.token_usage;
  return [
    span.span_id,
    span.parent_span_id,
    span.name,
    span.kind,
    span.kind_source,
    span.span_kind,
    span.service_name,
    span.start_time !== null && span.start_time === timeOfNanos(span.start_time_unix_nano) ? DERIVED_TIME : span.start_time,
    span.end_time !== null && span.end_time === timeOfNanos(span.end_time_unix_nano) ? DERIVED_TIME : span.end_time,
    span.start_time_unix_nano,
    span.end_time_unix_nano,
    span.duration_ms,
    span.status,
    span.status_message,
    span.operation,
    span.model,
    span.agent_name,
    span.tool_name,
    usage === null ? null : [usage.input, usage.output, usage.cached, usage.total],
  ];
}

let cachedSecond = -1;
let cachedSecondPrefix = '';

/**
 * RFC 3339 with milliseconds of a decimal nanosecond time, as toContextSpan writes it; null when
 * it is not a plain positive number (such a time is then stored as it is). Encoding and decoding
 * share this function, so a derived time always comes back as the text it replaced.
 */
function timeOfNanos(nanos: string): string | null {
  if (nanos.length <= 6) return null;
  const millis = Number(nanos.slice(0, -6));
  // Up to 9999-12-31T23:59:59.999Z, the form is `YYYY-MM-DDTHH:MM:SS.mmmZ`.
  if (!Number.isSafeInteger(millis) || millis <= 0 || millis > 253_402_300_799_999) return null;
  const second = Math.floor(millis / 1000);
  if (second !== cachedSecond) {
    cachedSecondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = millis - second * 1000;
  return `${cachedSecondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function usageOf(value: unknown): TokenCounts | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) return value as TokenCounts;
  return { input: value[0] as number, output: value[1] as number, cached: value[2] as number, total: value[3] as number };
}

/** Groups the spans by tenant and (lowercased) trace, in order of first appearance. */
export function packContextSpans(spans: readonly ContextSpan[]): ContextSpanPack[] {
  const groups = new Map<string, { tenant: string; traceId: string; tuples: SpanTuple[] }>();
  // A batch's spans come trace by trace: the previous span's group is usually this one's.
  let last: { tenant: string; rawTraceId: string; tuples: SpanTuple[] } | null = null;
  for (const span of spans) {
    if (last === null || span.trace_id !== last.rawTraceId || span.tenant !== last.tenant) {
      const traceId = span.trace_id.toLowerCase();
      const key = `${span.tenant}\u0000${traceId}`;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { tenant: span.tenant, traceId, tuples: [] }));
      last = { tenant: span.tenant, rawTraceId: span.trace_id, tuples: group.tuples };
    }
    last.tuples.push(toTuple(span));
  }
  const packs: ContextSpanPack[] = [];
  for (const { tenant, traceId, tuples } of groups.values()) {
    packs.push({ tenant, trace_id: traceId, spans: JSON.stringify(tuples), count: tuples.length });
  }
  return packs;
}

export function parseSpanTuples(json: string): SpanTuple[] {
  return JSON.parse(json) as SpanTuple[];
}

export function tupleSpanId(tuple: SpanTuple): string {
  return tuple[SPAN_ID] as string;
}

/** What the token roll-up reads of a span. */
export function tupleRollupSpan(tuple: SpanTuple): RollupSpan {
  return {
    span_id: tuple[SPAN_ID] as string,
    parent_span_id: (tuple[PARENT_SPAN_ID] ?? null) as string | null,
    kind: (tuple[KIND] ?? null) as RollupSpan['kind'],
    token_usage: usageOf(tuple[TOKEN_USAGE]),
  };
}

/** The span as it was given to appendContextSpans (trace id lowercased). */
export function tupleToContextSpan(tenant: string, traceId: string, tuple: SpanTuple): ContextSpan {
  const span: Record<string, unknown> = { tenant, trace_id: traceId };
  for (let i = 0; i < TUPLE_FIELDS.length; i++) span[TUPLE_FIELDS[i]!] = tuple[i] ?? null;
  if (tuple[START_TIME] === DERIVED_TIME) span.start_time = timeOfNanos(tuple[START_NANOS] as string);
  if (tuple[END_TIME] === DERIVED_TIME) span.end_time = timeOfNanos(tuple[END_NANOS] as string);
  span.token_usage = usageOf(tuple[TOKEN_USAGE]);
  return span as unknown as ContextSpan;
}
