import { contextSpanTimeOfNanos, type ContextSpan, type RollupSpan, type TokenCounts } from '@decision-trace/model';
import { parseStoredJson } from './stored-json.js';

/**
 * Context spans as the SQLite store keeps and moves them: one pack per (tenant, trace) of an
 * append call, its spans one JSON array of value tuples. A collector batch brings a handful of
 * spans of each of its traces; storing them as one row instead of one row each cuts the rows
 * (and their index entries) written per span tenfold, and keyless tuples take a third of the
 * bytes.
 * Packs are built in the caller's thread, so the store worker receives one string per trace
 * instead of structured-cloned span objects, and beside it the little the append reads of the
 * spans, which it would otherwise parse the string for.
 */
export interface ContextSpanPack {
  tenant: string;
  /** Lowercase (trace ids are matched case-insensitively). */
  trace_id: string;
  /** JSON array of SpanTuple, in the order the spans were given. */
  spans: string;
  /** Spans in `spans`. */
  count: number;
  /**
   * What the append reads of the spans, in the order of `spans`: their ids (the duplicate
   * check), and for the token roll-up their parents and the LLM calls with token counts among
   * them (the only spans whose kind and counts it reads). Flat arrays of strings and numbers:
   * structured clone copies them at a fraction of what parsing `spans` again would cost.
   */
  span_ids: string[];
  parent_span_ids: (string | null)[];
  /** Per call five numbers: its index in `span_ids`, then its input, output, cached and total tokens. */
  calls: number[];
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
    storedTime(span.start_time, span.start_time_unix_nano),
    storedTime(span.end_time, span.end_time_unix_nano),
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

/**
 * DERIVED_TIME for a time its nanoseconds give. Times that toContextSpan made come from the
 * same cache as the check's, so the comparison rarely reads a character.
 */
function storedTime(time: string | null, nanos: string): string | null | typeof DERIVED_TIME {
  return time !== null && time === contextSpanTimeOfNanos(nanos) ? DERIVED_TIME : time;
}

function usageOf(value: unknown): TokenCounts | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) return value as TokenCounts;
  return { input: value[0] as number, output: value[1] as number, cached: value[2] as number, total: value[3] as number };
}

/** A pack while its spans are gathered: `spans` is written from `tuples` at the end. */
interface PackBuilder {
  pack: ContextSpanPack;
  tuples: SpanTuple[];
}

/** Groups the spans by tenant and (lowercased) trace, in order of first appearance. */
export function packContextSpans(spans: readonly ContextSpan[]): ContextSpanPack[] {
  const builders = new Map<string, PackBuilder>();
  // A batch's spans come trace by trace: the previous span's pack is usually this one's.
  let last: PackBuilder | null = null;
  let lastTraceId = '';
  for (const span of spans) {
    if (last === null || span.trace_id !== lastTraceId || span.tenant !== last.pack.tenant) {
      const traceId = span.trace_id.toLowerCase();
      const key = `${span.tenant}\u0000${traceId}`;
      last = builders.get(key) ?? null;
      if (last === null) builders.set(key, (last = newPackBuilder(span.tenant, traceId)));
      lastTraceId = span.trace_id;
    }
    const { pack, tuples } = last;
    const usage = span.token_usage;
    if (span.kind === 'LLM' && usage !== null) pack.calls.push(tuples.length, usage.input, usage.output, usage.cached, usage.total);
    pack.span_ids.push(span.span_id);
    pack.parent_span_ids.push(span.parent_span_id);
    tuples.push(toTuple(span));
  }
  const packs: ContextSpanPack[] = [];
  for (const { pack, tuples } of builders.values()) {
    pack.spans = JSON.stringify(tuples);
    pack.count = tuples.length;
    packs.push(pack);
  }
  return packs;
}

function newPackBuilder(tenant: string, traceId: string): PackBuilder {
  return { pack: { tenant, trace_id: traceId, spans: '', count: 0, span_ids: [], parent_span_ids: [], calls: [] }, tuples: [] };
}

/**
 * The pack's spans as the token roll-up reads them, in order, from what the pack carries. Only
 * the calls keep their kind and counts: the roll-up reads no more than id and parent of the
 * other spans.
 */
export function packRollupSpans(pack: ContextSpanPack): RollupSpan[] {
  const { span_ids: ids, parent_span_ids: parents, calls } = pack;
  const spans = new Array<RollupSpan>(ids.length);
  let call = 0;
  for (let i = 0; i < ids.length; i++) {
    if (call < calls.length && calls[call] === i) {
      const token_usage = { input: calls[call + 1]!, output: calls[call + 2]!, cached: calls[call + 3]!, total: calls[call + 4]! };
      spans[i] = { span_id: ids[i]!, parent_span_id: parents[i]!, kind: 'LLM', token_usage };
      call += 5;
    } else {
      spans[i] = { span_id: ids[i]!, parent_span_id: parents[i]!, kind: null, token_usage: null };
    }
  }
  return spans;
}

/** The JSON of a pack's spans with only those at `indexes` (ascending) left. */
export function packedSpansAt(spans: string, indexes: readonly number[]): string {
  const tuples = parseSpanTuples(spans);
  return JSON.stringify(indexes.map((index) => tuples[index]));
}

export function parseSpanTuples(json: string): SpanTuple[] {
  return parseStoredJson<SpanTuple[]>(json);
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
  if (tuple[START_TIME] === DERIVED_TIME) span.start_time = contextSpanTimeOfNanos(tuple[START_NANOS] as string);
  if (tuple[END_TIME] === DERIVED_TIME) span.end_time = contextSpanTimeOfNanos(tuple[END_NANOS] as string);
  span.token_usage = usageOf(tuple[TOKEN_USAGE]);
  return span as unknown as ContextSpan;
}
