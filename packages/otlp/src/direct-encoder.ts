import {
  isDoubleValue,
  type AttributeValue,
  type Attributes,
  type ReadonlyAttributeValue,
  type ReadonlyAttributes,
  type ReadonlyResourceSpans,
  type ReadonlyScopeSpans,
  type ReadonlySpan,
} from '@decision-trace/model';
import {
  beginMessage,
  endMessage,
  finishWriting,
  startWriting,
  writeByte,
  writeBytes,
  writeDouble,
  writeFixed32Field,
  writeFixed64Field,
  writeHexField,
  writeInt32Field,
  writeInt64BigInt,
  writeInt64Number,
  writeKeyField,
  writeRaw,
  writeRawRange,
  writeString,
  writeStringField,
  writeUint32Field,
} from './wire-writer.js';
import { receivedEncodingOf } from './received-encoding.js';
import { scopeSpansLayout, subsetOrigin } from './scope-spans-subset.js';
import { isSpanOutline, outlineEncodingError } from './span-outline.js';

/**
 * Encodes spans as a binary-protobuf ExportTraceServiceRequest, written straight from the
 * model's spans into one buffer (wire-writer.ts): no protobufjs message objects, nothing
 * allocated per span. The mirror of direct-decoder.ts; field numbers are cited from proto/ at
 * each write.
 *
 * The bytes are those protobufjs's generated encoder writes for the wire messages the previous
 * encoder built (kept as encode-protobuf-reflective.ts, the reference the tests hold this one to):
 * fields in field-number order; proto3 scalars left out when they hold their default; resource,
 * scope and every KeyValue's value always written, an unset status (code 0, no message) left
 * out; an AnyValue member written even when empty or zero (members have explicit presence).
 * Values: strings, booleans, bigints (int_value), Uint8Arrays (bytes_value), arrays, objects
 * (kvlist_value) and null (an AnyValue with no member); a number is an int_value when it is a
 * safe integer that did not arrive as a double (see isDoubleValue), else a double_value. Two
 * deliberate differences: a lone UTF-16 surrogate in a string is written as U+FFFD (see
 * writeString), and an `undefined` attribute value is an empty AnyValue, as null is (the
 * previous encoder threw).
 *
 * A resource or scope that still has the bytes it was received in (received-encoding.ts:
 * decoded without loss, and no component changed, split or filtered it since) is written as
 * those bytes, so spans forwarded unchanged are not encoded again and arrive as their sender
 * wrote them; what was changed is encoded as described above. When every resource has its
 * bytes, the request is their concatenation.
 */
export function encodeTraceRequestProtobuf(resourceSpans: readonly ReadonlyResourceSpans[]): Uint8Array {
  const received = concatenatedReceivedEncodings(resourceSpans);
  if (received !== undefined) return received;
  startWriting();
  try {
    for (let r = 0; r < resourceSpans.length; r++) {
      const rs = resourceSpans[r];
      const kept = receivedEncodingOf(rs);
      if (kept !== undefined) {
        writeRaw(kept);
        continue;
      }
      // trace_service.proto ExportTraceServiceRequest: repeated ResourceSpans resource_spans = 1
      const at = beginMessage(0x0a, 3);
      writeResourceSpans(rs);
      endMessage(at, 3);
    }
  } catch (error) {
    startWriting();
    throw error;
  }
  return finishWriting();
}

/** The request as the concatenation of its resources' received bytes, when every one has them. */
function concatenatedReceivedEncodings(resourceSpans: readonly ReadonlyResourceSpans[]): Uint8Array | undefined {
  if (resourceSpans.length === 0) return undefined;
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let r = 0; r < resourceSpans.length; r++) {
    const kept = receivedEncodingOf(resourceSpans[r]);
    if (kept === undefined) return undefined;
    parts.push(kept);
    length += kept.length;
  }
  // One resource (a request forwarded on its own): its bytes as they are, no copy. Nothing
  // writes into an encoded request, so sharing the received body is safe.
  if (parts.length === 1) return parts[0];
  const out = Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** protobufjs's recursion limit (util.recursionLimit): deeper messages fail its encoder, and this one. */
const RECURSION_LIMIT = 100;

// Message depths as protobufjs counts them (the request is 0), for the recursion limit.
const RESOURCE_KEY_VALUE_DEPTH = 3;
const SCOPE_KEY_VALUE_DEPTH = 4;
const SPAN_KEY_VALUE_DEPTH = 4;
const EVENT_KEY_VALUE_DEPTH = 5;

// trace.proto ResourceSpans
function writeResourceSpans(resourceSpans: ReadonlyResourceSpans): void {
  // Resource resource = 1 (always written, as a message the previous encoder always set)
  const resource = resourceSpans.resource;
  const resourceAt = beginMessage(0x0a, 2);
  writeKeyValues(0x0a, resource.attributes, RESOURCE_KEY_VALUE_DEPTH); // resource.proto: repeated KeyValue attributes = 1
  writeUint32Field(0x10, resource.droppedAttributesCount); // uint32 dropped_attributes_count = 2
  endMessage(resourceAt, 2);
  // repeated ScopeSpans scope_spans = 2
  const scopeSpans = resourceSpans.scopeSpans;
  for (let s = 0; s < scopeSpans.length; s++) {
    const kept = receivedEncodingOf(scopeSpans[s]);
    if (kept !== undefined) {
      writeRaw(kept);
      continue;
    }
    const at = beginMessage(0x12, 3);
    const origin = subsetOrigin(scopeSpans[s]);
    if (origin === undefined || !writeScopeSpansSubset(scopeSpans[s], origin)) writeScopeSpans(scopeSpans[s]);
    endMessage(at, 3);
  }
  writeStringField(0x1a, resourceSpans.schemaUrl); // string schema_url = 3
}

// trace.proto ScopeSpans
function writeScopeSpans(scopeSpans: ReadonlyScopeSpans): void {
  // InstrumentationScope scope = 1 (common.proto; always written)
  const scope = scopeSpans.scope;
  const scopeAt = beginMessage(0x0a, 1);
  writeStringField(0x0a, scope.name); // string name = 1
  writeStringField(0x12, scope.version); // string version = 2
  writeKeyValues(0x1a, scope.attributes, SCOPE_KEY_VALUE_DEPTH); // repeated KeyValue attributes = 3
  writeUint32Field(0x20, scope.droppedAttributesCount); // uint32 dropped_attributes_count = 4
  endMessage(scopeAt, 1);
  // repeated Span spans = 2
  const spans = scopeSpans.spans;
  for (let i = 0; i < spans.length; i++) {
    const at = beginMessage(0x12, 2);
    writeSpan(spans[i]);
    endMessage(at, 2);
  }
  writeStringField(0x1a, scopeSpans.schemaUrl); // string schema_url = 3
}

/**
 * A subset of a received scope's spans (scope-spans-subset.ts): the scope's own fields and each
 * span it still holds unchanged written as received, other spans encoded. False, with nothing
 * written, when the scope itself was changed or its bytes cannot be written piecewise.
 */
function writeScopeSpansSubset(subset: ReadonlyScopeSpans, origin: ReadonlyScopeSpans): boolean {
  if (subset.scope !== origin.scope || subset.schemaUrl !== origin.schemaUrl) return false;
  const bytes = receivedEncodingOf(origin);
  if (bytes === undefined) return false; // forgotten since (forgetReceivedEncoding)
  const layout = scopeSpansLayout(origin, bytes);
  if (!layout.usable) return false;
  // A scope absent on the wire stays absent: the same empty scope to a decoder.
  if (layout.scopeStart !== -1) writeRawRange(bytes, layout.scopeStart, layout.scopeEnd);
  const spans = subset.spans;
  const received = origin.spans;
  let next = 0; // spans keep their order in a subset: search on from the last one found
  // Received spans that follow each other in the bytes are copied as one range.
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i];
    let j = next;
    while (j < received.length && received[j] !== span) j++;
    if (j < received.length) {
      if (layout.spanStarts[j] !== runEnd) {
        if (runStart !== -1) writeRawRange(bytes, runStart, runEnd);
        runStart = layout.spanStarts[j];
      }
      runEnd = layout.spanEnds[j];
      next = j + 1;
    } else {
      if (runStart !== -1) writeRawRange(bytes, runStart, runEnd);
      runStart = runEnd = -1;
      const at = beginMessage(0x12, 2);
      writeSpan(span);
      endMessage(at, 2);
    }
  }
  if (runStart !== -1) writeRawRange(bytes, runStart, runEnd);
  if (layout.schemaUrlStart !== -1) writeRawRange(bytes, layout.schemaUrlStart, layout.schemaUrlEnd);
  return true;
}

// trace.proto Span
function writeSpan(span: ReadonlySpan): void {
  if (isSpanOutline(span)) throw outlineEncodingError();
  writeHexField(0x0a, span.traceId); // bytes trace_id = 1
  writeHexField(0x12, span.spanId); // bytes span_id = 2
  writeStringField(0x1a, span.traceState); // string trace_state = 3
  writeHexField(0x22, span.parentSpanId); // bytes parent_span_id = 4
  writeStringField(0x2a, span.name); // string name = 5
  writeInt32Field(0x30, span.kind); // SpanKind kind = 6
  writeFixed64Field(0x39, span.startTimeUnixNano); // fixed64 start_time_unix_nano = 7
  writeFixed64Field(0x41, span.endTimeUnixNano); // fixed64 end_time_unix_nano = 8
  writeKeyValues(0x4a, span.attributes, SPAN_KEY_VALUE_DEPTH); // repeated KeyValue attributes = 9
  writeUint32Field(0x50, span.droppedAttributesCount); // uint32 dropped_attributes_count = 10
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    // repeated Event events = 11
    const event = events[i];
    const at = beginMessage(0x5a, 1);
    writeFixed64Field(0x09, event.timeUnixNano); // fixed64 time_unix_nano = 1
    writeStringField(0x12, event.name); // string name = 2
    writeKeyValues(0x1a, event.attributes, EVENT_KEY_VALUE_DEPTH); // repeated KeyValue attributes = 3
    writeUint32Field(0x20, event.droppedAttributesCount); // uint32 dropped_attributes_count = 4
    endMessage(at, 1);
  }
  writeUint32Field(0x60, span.droppedEventsCount); // uint32 dropped_events_count = 12
  const links = span.links;
  for (let i = 0; i < links.length; i++) {
    // repeated Link links = 13
    const link = links[i];
    const at = beginMessage(0x6a, 1);
    writeHexField(0x0a, link.traceId); // bytes trace_id = 1
    writeHexField(0x12, link.spanId); // bytes span_id = 2
    writeStringField(0x1a, link.traceState); // string trace_state = 3
    writeKeyValues(0x22, link.attributes, EVENT_KEY_VALUE_DEPTH); // repeated KeyValue attributes = 4
    writeUint32Field(0x28, link.droppedAttributesCount); // uint32 dropped_attributes_count = 5
    writeFixed32Field(0x35, link.flags); // fixed32 flags = 6
    endMessage(at, 1);
  }
  writeUint32Field(0x70, span.droppedLinksCount); // uint32 dropped_links_count = 14
  // Status status = 15: a message field, so an unset status is left out rather than sent empty.
  const status = span.status;
  if (status.code !== 0 || status.message !== '') {
    const at = beginMessage(0x7a, 1);
    writeStringField(0x12, status.message); // string message = 2 (field 1 is reserved)
    writeInt32Field(0x18, status.code); // StatusCode code = 3
    endMessage(at, 1);
  }
  writeFixed32Field(133, span.flags); // fixed32 flags = 16 (tag 133: two bytes, 0x85 0x01)
}

/**
 * Writes each attribute as a KeyValue message (common.proto) in field `tag` of the enclosing
 * message; `depth` is the KeyValue messages' depth. The attributes' own keys, in their order
 * (Object.keys's: what the previous encoder wrote).
 */
function writeKeyValues(tag: number, attributes: ReadonlyAttributes, depth: number): void {
  // for-in allocates nothing on objects like the decoders' (Object.keys builds an array each
  // time) and gives the own keys in the same order; the own-key check, which V8 reduces to a
  // map check inside for-in, leaves out what an object inherits.
  for (const key in attributes) {
    if (!hasOwnProperty.call(attributes, key)) continue;
    if (depth > RECURSION_LIMIT) throw new Error('max depth exceeded');
    const at = beginMessage(tag, 1);
    writeKeyField(key); // string key = 1
    // AnyValue value = 2 (always written; an empty one for null)
    const valueAt = beginMessage(0x12, 1);
    writeAnyValue(attributes[key], attributes, key, depth + 1);
    endMessage(valueAt, 1);
    endMessage(at, 1);
  }
}

const { hasOwnProperty } = Object.prototype;

/** The members of an AnyValue message (common.proto) for `value`, found at `key` of `container`. */
function writeAnyValue(value: ReadonlyAttributeValue | undefined, container: object, key: string | number, depth: number): void {
  if (depth > RECURSION_LIMIT) throw new Error('max depth exceeded');
  switch (typeof value) {
    case 'string': // string string_value = 1
      writeByte(0x0a);
      writeString(value);
      return;
    case 'boolean': // bool bool_value = 2
      writeByte(0x10);
      writeByte(value ? 1 : 0);
      return;
    case 'number':
      if (isDoubleValue(container as Attributes | AttributeValue[], key, value)) {
        writeByte(0x21); // double double_value = 4
        writeDouble(value);
      } else {
        writeByte(0x18); // int64 int_value = 3
        writeInt64Number(value);
      }
      return;
    case 'bigint': // int64 int_value = 3
      writeByte(0x18);
      writeInt64BigInt(value);
      return;
  }
  if (value === null || value === undefined) return;
  if (value instanceof Uint8Array) {
    writeByte(0x3a); // bytes bytes_value = 7
    writeBytes(value);
    return;
  }
  if (Array.isArray(value)) {
    // ArrayValue array_value = 5; in it, repeated AnyValue values = 1
    const values = value as readonly ReadonlyAttributeValue[];
    const at = beginMessage(0x2a, 1);
    if (depth + 1 > RECURSION_LIMIT) throw new Error('max depth exceeded');
    for (let i = 0; i < values.length; i++) {
      const elementAt = beginMessage(0x0a, 1);
      writeAnyValue(values[i], values, i, depth + 2);
      endMessage(elementAt, 1);
    }
    endMessage(at, 1);
    return;
  }
  // KeyValueList kvlist_value = 6; in it, repeated KeyValue values = 1
  if (depth + 1 > RECURSION_LIMIT) throw new Error('max depth exceeded');
  const at = beginMessage(0x32, 1);
  writeKeyValues(0x0a, value as ReadonlyAttributes, depth + 2);
  endMessage(at, 1);
}
