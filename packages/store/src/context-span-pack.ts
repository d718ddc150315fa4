import {
  contextSpanOfTuple,
  contextSpanTimeOfNanos,
  contextSpanTuple,
  DERIVED_SPAN_TIME,
  tupleTokenUsage,
  type ContextSpan,
  type ContextSpanTuple,
  type RollupSpan,
  type SelectedContextSpans,
} from '@decision-trace/model';
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
 * A span's fields without tenant and trace id (the pack's): CONTEXT_SPAN_TUPLE_FIELDS, with
 * times a span's nanoseconds give as DERIVED_SPAN_TIME and token usage as four numbers
 * (model/context-span.ts). Stored data depends on that order.
 */
export type SpanTuple = ContextSpanTuple;

const SPAN_ID = 0;
const PARENT_SPAN_ID = 1;
const KIND = 3;
const TOKEN_USAGE = 18;

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
 * DERIVED_SPAN_TIME for a time its nanoseconds give. Times that toContextSpan made come from
 * the same cache as the check's, so the comparison rarely reads a character.
 */
function storedTime(time: string | null, nanos: string): string | null | typeof DERIVED_SPAN_TIME {
  return time !== null && time === contextSpanTimeOfNanos(nanos) ? DERIVED_SPAN_TIME : time;
}

/** A pack while its spans are gathered: `spans` is written from `tuples` at the end. */
interface PackBuilder {
  pack: ContextSpanPack;
  tuples: SpanTuple[];
}

/** Groups the spans by tenant and (lowercased) trace, in order of first appearance. */
export function packContextSpans(spans: readonly ContextSpan[]): ContextSpanPack[] {
  return packTuples(
    spans.length,
    (i) => spans[i]!.tenant,
    (i) => spans[i]!.trace_id,
    (i) => toTuple(spans[i]!),
  );
}

/**
 * packContextSpans of the selection's ContextSpans, the same packs, built from the decoded
 * spans without those objects in between.
 */
export function packSelectedSpans(selected: SelectedContextSpans): ContextSpanPack[] {
  const { spans, tenants, serviceNames } = selected;
  return packTuples(
    spans.length,
    (i) => tenants[i]!,
    (i) => spans[i]!.traceId,
    (i) => contextSpanTuple(spans[i]!, serviceNames[i]!),
  );
}

function packTuples(count: number, tenantAt: (i: number) => string, traceIdAt: (i: number) => string, tupleAt: (i: number) => SpanTuple): ContextSpanPack[] {
  const builders = new Map<string, PackBuilder>();
  // A batch's spans come trace by trace: the previous span's pack is usually this one's.
  let last: PackBuilder | null = null;
  let lastTraceId = '';
  for (let i = 0; i < count; i++) {
    const tenant = tenantAt(i);
    const spanTraceId = traceIdAt(i);
    if (last === null || spanTraceId !== lastTraceId || tenant !== last.pack.tenant) {
      const traceId = spanTraceId.toLowerCase();
      const key: string = `${tenant}\u0000${traceId}`;
      last = builders.get(key) ?? null;
      if (last === null) builders.set(key, (last = newPackBuilder(tenant, traceId)));
      lastTraceId = spanTraceId;
    }
    const { pack, tuples } = last;
    const tuple = tupleAt(i);
    const usage = tuple[TOKEN_USAGE] as number[] | null;
    if (tuple[KIND] === 'LLM' && usage !== null) pack.calls.push(tuples.length, usage[0]!, usage[1]!, usage[2]!, usage[3]!);
    pack.span_ids.push(tuple[SPAN_ID] as string);
    pack.parent_span_ids.push(tuple[PARENT_SPAN_ID] as string | null);
    tuples.push(tuple);
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
    token_usage: tupleTokenUsage(tuple[TOKEN_USAGE]),
  };
}

/** The span as it was given to appendContextSpans (trace id lowercased). */
export function tupleToContextSpan(tenant: string, traceId: string, tuple: SpanTuple): ContextSpan {
  return contextSpanOfTuple(tenant, traceId, tuple);
}
