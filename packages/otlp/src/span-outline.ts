import {
  ATTR_DECISION_TYPE,
  ATTR_DT_DECISION_ID,
  exceedsJsonNesting,
  MAX_NESTING_DEPTH,
  type Attributes,
  type ReadonlySpan,
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
 *
 * When the decode keeps the received bytes (decodeLosses.tracking: an exporter downstream
 * forwards them), an outline stands for its bytes: the exporter writes the span as received, and
 * the decoder keeps an outline only in a scope whose bytes it keeps (direct-decoder.ts decodes a
 * scope again whole when they are not kept). So the walk counts in decodeLosses everything the
 * full decode would count there — a skipped field, an attribute key seen before in the same list,
 * an AnyValue with two different members — or more (a KeyValue whose value comes twice), never
 * less: counting more only makes the scope decoded whole.
 */

const OUTLINE_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;
const NO_EVENTS: SpanEvent[] = Object.freeze([]) as unknown as SpanEvent[];
const NO_LINKS: SpanLink[] = Object.freeze([]) as unknown as SpanLink[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: 0, message: '' }) as SpanStatus;

/**
 * Whether `span` is an outline. An outline has nothing to encode: encoders refuse it rather than
 * send an empty span in its place (a forwarded outline is written from the bytes it came in).
 */
export function isSpanOutline(span: ReadonlySpan): boolean {
  return span.attributes === OUTLINE_ATTRIBUTES;
}

/** The error an encoder throws for an outline it was handed (a component that rebuilt a scope holding outlines). */
export function outlineEncodingError(): Error {
  return new Error('a span decoded as an outline (ids only) cannot be encoded: only its received bytes can be forwarded');
}

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
  keyCount = 0;
  keyBloom = 0;
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
        walkKeyValue(reader, depth + 1, 0, 0);
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

/**
 * The keys walked so far in the KeyValue lists open at this point (the span's attributes, then
 * those of each kvlist inside the value being walked), as byte ranges: a key seen before in the
 * same list is a loss when the decode keeps the received bytes (the decoded attributes keep only
 * the last value). A list's keys start at the count it began with; a nested list's are dropped
 * when it ends. Valid UTF-8 is canonical, so the same bytes are the same key, and only the same.
 */
let keyStarts = new Int32Array(64);
let keyEnds = new Int32Array(64);
let keyCount = 0;

/**
 * A 32-bit summary of the current list's keys (a bit per length and first and last byte): the
 * list is searched only when a key's bit is already set, so distinct keys cost a few operations.
 */
let keyBloom = 0;

function noteKey(buf: Uint8Array, listStart: number, start: number, end: number): void {
  const length = end - start;
  const bit = 1 << ((length * 7 + (length > 0 ? buf[start] * 3 + buf[end - 1] : 0)) & 31);
  if ((keyBloom & bit) !== 0) {
    for (let k = listStart; k < keyCount; k++) {
      if (keyEnds[k] - keyStarts[k] === length && sameBytes(buf, keyStarts[k], start, length)) {
        decodeLosses.count++;
        break;
      }
    }
  }
  keyBloom |= bit;
  // The decode's check is `attributes[key] !== undefined` on a plain object, which an inherited
  // name (`constructor`, `__proto__`, …) passes the first time too: counted the same here.
  if (length < INHERITED_BY_LENGTH.length) {
    const names = INHERITED_BY_LENGTH[length];
    for (let i = 0; i < names.length; i++) if (sameBytesAs(buf, start, names[i])) decodeLosses.count++;
  }
  if (keyCount === keyStarts.length) {
    const starts = new Int32Array(keyCount * 2);
    const ends = new Int32Array(keyCount * 2);
    starts.set(keyStarts);
    ends.set(keyEnds);
    keyStarts = starts;
    keyEnds = ends;
  }
  keyStarts[keyCount] = start;
  keyEnds[keyCount] = end;
  keyCount++;
}

/** The names a plain object inherits (Object.prototype's), as bytes, by their length. */
const INHERITED_BY_LENGTH: Uint8Array[][] = [];
for (const name of Object.getOwnPropertyNames(Object.prototype)) {
  const bytes = Buffer.from(name);
  while (INHERITED_BY_LENGTH.length <= bytes.length) INHERITED_BY_LENGTH.push([]);
  INHERITED_BY_LENGTH[bytes.length].push(bytes);
}

function sameBytesAs(buf: Uint8Array, start: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name[i]) return false;
  return true;
}

function sameBytes(buf: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

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
 * (0 for a span's own attributes), in the list whose keys start at `listStart` (see noteKey). A
 * span attribute whose key (the last one, as there) is `decision.type` or `dt.decision_id` needs
 * the span whole.
 */
function walkKeyValue(reader: BufferWireReader, depth: number, level: number, listStart: number): void {
  const enclosingLimit = enterMessage(reader, depth);
  let keyStart = 0;
  let keyEnd = 0;
  let values = 0;
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
        // A value that comes twice is merged by the decode, a loss when its members differ: counted always (see above).
        if (++values === 2) decodeLosses.count++;
        walkAnyValue(reader, depth + 1, level);
        continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  if (decodeLosses.tracking) noteKey(reader.buf, listStart, keyStart, keyEnd);
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
  // The first member field seen: a different one after it is a loss, as in decodeAnyValue.
  let member = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    const field = tag >>> 3;
    if (field >= 1 && field <= 7 && wireType === MEMBER_WIRE_TYPES[field]) {
      if (member === 0) member = field;
      else if (member !== field) decodeLosses.count++;
    }
    switch (field) {
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

/** The wire type of each AnyValue member (fields 1–7); a field of another wire type is skipped, not a member. */
const MEMBER_WIRE_TYPES = [-1, 2, 0, 0, 1, 2, 2, 2];

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
  const listStart = keyCount;
  const enclosingBloom = keyBloom;
  keyBloom = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    if (tag >>> 3 === 1 && wireType === 2) {
      walkKeyValue(reader, depth + 1, level, listStart);
      continue;
    }
    skipLostField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  keyCount = listStart;
  keyBloom = enclosingBloom;
}
