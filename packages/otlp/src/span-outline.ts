import {
  ATTR_DECISION_TYPE,
  ATTR_DT_DECISION_ID,
  exceedsJsonNesting,
  MAX_NESTING_DEPTH,
  type Attributes,
  type Span,
  type SpanEvent,
  type SpanLink,
  type SpanStatus,
} from '@decision-trace/model';
import { decodeLosses } from './decode-losses.js';
import { type BufferWireReader, delimitedStart, enterMessage, leaveMessage, readHex, readInt64Integer, skipFixed64, skipString } from './wire-fields.js';

/**
 * Span outlines: what the decoder returns, when asked to (`outlineNonDecisionSpans`), for a span
 * that cannot hold a decision, for pipelines that read nothing else of such spans. A span can
 * hold a decision only through a `decision.type` or `dt.decision_id` attribute or a span event
 * (model/src/from-spans.ts); the decision processor reads only the ids of every other span, to
 * place decisions in their trace (lineage). So an outline has the ids, and nothing else: no
 * name, times, attributes or status, which are the bulk of decoding a span (strings, an
 * attribute object, two bigints) and of the garbage a request leaves.
 *
 * The walk still checks every byte of the span as the full decode does — the same fields read
 * in the same order with the same readers, strings checked for UTF-8 without being made — so a
 * malformed request fails with the same error, at the same place. A span with events or links
 * (rare outside decision spans) and one with a decision attribute are decoded whole: the walk
 * stops there, and the caller starts again at the span with the full decoder. Everything walked
 * up to that point was checked as the full decode checks it, so that decode fails where the walk
 * would have, or not at all. So is a span with an attribute value the nesting check after
 * decoding (attribute-nesting.ts) might refuse — containers nested deeper than it allows, or a
 * string holding JSON nested so — so that the check sees it and refuses the request as before.
 */

const OUTLINE_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;
const NO_EVENTS: SpanEvent[] = Object.freeze([]) as unknown as SpanEvent[];
const NO_LINKS: SpanLink[] = Object.freeze([]) as unknown as SpanLink[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: 0, message: '' }) as SpanStatus;

const DECISION_TYPE_KEY = Buffer.from(ATTR_DECISION_TYPE);
const DT_DECISION_ID_KEY = Buffer.from(ATTR_DT_DECISION_ID);

/**
 * The outline of the span message at the reader, or undefined when the span may hold a decision
 * (then the reader's position is somewhere inside the span, its limit the enclosing one's: the
 * caller starts again at the span). Throws what decodeSpan would throw.
 */
export function outlineSpan(reader: BufferWireReader, depth: number): Span | undefined {
  const enclosingLimit = enterMessage(reader, depth);
  wholeNeeded = false;
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    // The fields as decodeSpan reads them (direct-decoder.ts; trace.proto Span).
    switch (tag >>> 3) {
      case 1:
        if (wireType !== 2) break;
        traceId = readHex(reader);
        continue;
      case 2:
        if (wireType !== 2) break;
        spanId = readHex(reader);
        continue;
      case 4:
        if (wireType !== 2) break;
        parentSpanId = readHex(reader);
        continue;
      case 3: // trace_state
      case 5: // name
        if (wireType !== 2) break;
        skipString(reader);
        continue;
      case 6: // kind
        if (wireType !== 0) break;
        reader.int32();
        continue;
      case 7: // start_time_unix_nano
      case 8: // end_time_unix_nano
        if (wireType !== 1) break;
        skipFixed64(reader);
        continue;
      case 9: // attributes
        if (wireType !== 2) break;
        walkKeyValue(reader, depth + 1, 0);
        if (wholeNeeded) return stop(reader, enclosingLimit);
        continue;
      case 10: // dropped_attributes_count
      case 12: // dropped_events_count
      case 14: // dropped_links_count
        if (wireType !== 0) break;
        reader.uint32();
        continue;
      case 11: // events: may be decisions
      case 13: // links: their ids are checked on the decoded span
        if (wireType !== 2) break;
        return stop(reader, enclosingLimit);
      case 15: // status
        if (wireType !== 2) break;
        walkStatus(reader, depth + 1);
        continue;
      case 16: // flags
        if (wireType !== 5) break;
        reader.fixed32();
        continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: OUTLINE_ATTRIBUTES,
    droppedAttributesCount: 0,
    events: NO_EVENTS,
    droppedEventsCount: 0,
    links: NO_LINKS,
    droppedLinksCount: 0,
    status: UNSET_STATUS,
  };
}

/** Set by the walk when the span has to be decoded whole: a decision attribute, a value the nesting check might refuse. */
let wholeNeeded = false;

function stop(reader: BufferWireReader, enclosingLimit: number): undefined {
  reader.len = enclosingLimit;
  return undefined;
}

function skipLostField(reader: BufferWireReader, wireType: number, depth: number, field: number): void {
  decodeLosses.count++;
  reader.skipType(wireType, depth, field);
}

// trace.proto Status, as decodeStatus reads it.
function walkStatus(reader: BufferWireReader, depth: number): void {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 2:
        if (wireType !== 2) break;
        skipString(reader);
        continue;
      case 3:
        if (wireType !== 0) break;
        reader.int32();
        continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
}

/**
 * A KeyValue, as decodeKeyValueInto reads it (direct-attributes.ts), at container nesting `level`
 * (0 for a span's own attributes). A span attribute whose key (the last one, as there) is
 * `decision.type` or `dt.decision_id` needs the span whole.
 */
function walkKeyValue(reader: BufferWireReader, depth: number, level: number): void {
  const enclosingLimit = enterMessage(reader, depth);
  let keyStart = 0;
  let keyEnd = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wireType !== 2) break;
        keyStart = skipString(reader);
        keyEnd = reader.pos;
        continue;
      case 2:
        if (wireType !== 2) break;
        walkAnyValue(reader, depth + 1, level);
        continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  if (level === 0 && (isKey(reader.buf, keyStart, keyEnd, DECISION_TYPE_KEY) || isKey(reader.buf, keyStart, keyEnd, DT_DECISION_ID_KEY))) wholeNeeded = true;
}

function isKey(buf: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (buf[start + i] !== key[i]) return false;
  return true;
}

/**
 * An AnyValue, as decodeAnyValue reads it (each member's value read, whichever wins), inside
 * `level` containers. A container more than MAX_NESTING_DEPTH deep, or a string that may be
 * JSON nested deeper (what attribute-nesting.ts checks), needs the span whole. The walk sees
 * every value, also those the decode drops, so it errs on the side of decoding whole.
 */
function walkAnyValue(reader: BufferWireReader, depth: number, level: number): void {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: {
        if (wireType !== 2) break;
        const start = skipString(reader);
        const first = reader.buf[start];
        if (reader.pos > start && (first === 0x7b || first === 0x5b || first <= 0x20) && exceedsJsonNesting(reader.buf.subarray(start, reader.pos)))
          wholeNeeded = true;
        continue;
      }
      case 2:
        if (wireType !== 0) break;
        reader.bool();
        continue;
      case 3:
        if (wireType !== 0) break;
        readInt64Integer(reader);
        continue;
      case 4:
        if (wireType !== 1) break;
        reader.double();
        continue;
      case 5:
        if (wireType !== 2) break;
        if (level + 1 > MAX_NESTING_DEPTH) wholeNeeded = true;
        walkArrayValue(reader, depth + 1, level + 1);
        continue;
      case 6:
        if (wireType !== 2) break;
        if (level + 1 > MAX_NESTING_DEPTH) wholeNeeded = true;
        walkKeyValueList(reader, depth + 1, level + 1);
        continue;
      case 7:
        if (wireType !== 2) break;
        delimitedStart(reader);
        continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
}

function walkArrayValue(reader: BufferWireReader, depth: number, level: number): void {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    if (tag >>> 3 === 1 && wireType === 2) {
      walkAnyValue(reader, depth + 1, level);
      continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
}

function walkKeyValueList(reader: BufferWireReader, depth: number, level: number): void {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    if (tag >>> 3 === 1 && wireType === 2) {
      walkKeyValue(reader, depth + 1, level);
      continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
}
