import type { Attributes, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, SpanStatus } from '@decision-trace/model';
import type { DecodedTraceRequest } from './decoded-request.js';
import { decodeKeyValueInto } from './direct-attributes.js';
import { OtlpDecodeError } from './errors.js';
import { decodeLosses } from './decode-losses.js';
import { keepReceivedEncoding } from './received-encoding.js';
import { outlineSpan } from './span-outline.js';
import { SpanRejections, describeInvalidSpanIds, spanPath } from './span-rejections.js';
import { type BufferWireReader, createBufferReader, enterMessage, leaveMessage, readFixed64BigInt, readHex, readString } from './wire-fields.js';

/**
 * Decodes a binary-protobuf ExportTraceServiceRequest straight into the model's span shape, in
 * one pass over the bytes with protobufjs's Reader, the way pbjs's static decoders are written
 * but producing model objects (hex ids, bigint times, attribute objects) instead of wire
 * messages. Field numbers are cited from proto/ at each case.
 *
 * It reproduces protobufjs's generated decoders for the tuned schema (proto-root.ts) followed by
 * the normalization walk that used to run after them: unknown fields and fields of an
 * unexpected wire type are skipped; a scalar that appears twice keeps the last value (an empty
 * one included); a singular sub-message that appears twice is merged (repeated fields append,
 * scalars are overwritten); strings must be valid UTF-8; nesting deeper than protobufjs's
 * recursion limit fails. Every failure is an OtlpDecodeError `invalid protobuf: …` carrying
 * the message protobufjs would have given.
 */
export function decodeTraceRequestDirect(body: Uint8Array, keepEncoding = false, outlineNonDecisionSpans = false): DecodedTraceRequest {
  const reader = createBufferReader(body);
  const rejections = new SpanRejections();
  const resourceSpans: ResourceSpans[] = [];
  decodeLosses.tracking = keepEncoding;
  outlining = outlineNonDecisionSpans;
  try {
    while (reader.pos < reader.len) {
      const fieldStart = reader.pos;
      const tag = reader.tag();
      const wireType = tag & 7;
      // trace_service.proto ExportTraceServiceRequest: repeated ResourceSpans resource_spans = 1
      if (tag >>> 3 === 1 && wireType === 2) {
        const losses = decodeLosses.count;
        const rejected = rejections.count;
        const rs = decodeResourceSpans(reader, 1, resourceSpans.length, rejections);
        if (decodeLosses.tracking && losses === decodeLosses.count && rejected === rejections.count)
          keepReceivedEncoding(rs, reader.buf.subarray(fieldStart, reader.pos));
        resourceSpans.push(rs);
        continue;
      }
      skipField(reader, wireType, 0, tag >>> 3);
    }
  } catch (error) {
    throw new OtlpDecodeError(`invalid protobuf: ${(error as Error).message}`);
  } finally {
    decodeLosses.tracking = false;
    outlining = false;
  }
  return { resourceSpans, rejectedSpans: rejections.count, errorMessage: rejections.errorMessage };
}

/**
 * Whether the current decode returns spans that cannot hold a decision as outlines
 * (span-outline.ts). Module state: the decoder runs synchronously, one request at a time.
 * When it also keeps the received bytes, outlines are left only in scopes whose bytes are kept
 * (see decodeResourceSpans), so that a forwarding exporter writes them as received.
 */
let outlining = false;

/** The span at the reader: its outline when outlining and it cannot hold a decision, else decoded whole. */
function decodeSpanOrOutline(reader: BufferWireReader, depth: number): Span {
  const start = reader.pos;
  const outline = outlineSpan(reader, depth);
  if (outline !== undefined) return outline;
  reader.pos = start;
  return decodeSpan(reader, depth);
}

/** Skips a field the model has no place for, counting it as a loss (decode-losses.ts). */
function skipField(reader: BufferWireReader, wireType: number, depth: number, field: number): void {
  decodeLosses.count++;
  reader.skipType(wireType, depth, field);
}

// trace.proto ResourceSpans
function decodeResourceSpans(reader: BufferWireReader, depth: number, resourceIndex: number, rejections: SpanRejections): ResourceSpans {
  const enclosingLimit = enterMessage(reader, depth);
  let resource: Resource | undefined;
  const scopeSpans: ScopeSpans[] = [];
  let schemaUrl = '';
  while (reader.pos < reader.len) {
    const fieldStart = reader.pos;
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // Resource resource = 1
        if (wireType !== 2) break;
        resource = decodeResource(reader, depth + 1, resource);
        continue;
      case 2: {
        // repeated ScopeSpans scope_spans = 2
        if (wireType !== 2) break;
        const losses = decodeLosses.count;
        const rejected = rejections.count;
        const messageStart = reader.pos;
        let ss = decodeScopeSpans(reader, depth + 1, resourceIndex, scopeSpans.length, rejections);
        if (outlining && decodeLosses.tracking && (losses !== decodeLosses.count || rejected !== rejections.count)) {
          // Outlines stand for the bytes they arrived in (span-outline.ts), and this scope keeps
          // none: it is decoded again, whole, and its losses and rejections counted again.
          reader.pos = messageStart;
          decodeLosses.count = losses;
          rejections.rollback(rejected);
          outlining = false;
          try {
            ss = decodeScopeSpans(reader, depth + 1, resourceIndex, scopeSpans.length, rejections);
          } finally {
            outlining = true;
          }
        }
        if (decodeLosses.tracking && losses === decodeLosses.count && rejected === rejections.count)
          keepReceivedEncoding(ss, reader.buf.subarray(fieldStart, reader.pos));
        scopeSpans.push(ss);
        continue;
      }
      case 3: // string schema_url = 3
        if (wireType !== 2) break;
        schemaUrl = readString(reader);
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return { resource: resource ?? { attributes: {}, droppedAttributesCount: 0 }, scopeSpans, schemaUrl };
}

// resource.proto Resource, merged into `resource` when the field appeared before.
function decodeResource(reader: BufferWireReader, depth: number, resource: Resource | undefined): Resource {
  const enclosingLimit = enterMessage(reader, depth);
  const target = resource ?? { attributes: {}, droppedAttributesCount: 0 };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // repeated KeyValue attributes = 1
        if (wireType !== 2) break;
        decodeKeyValueInto(reader, depth + 1, target.attributes);
        continue;
      case 2: // uint32 dropped_attributes_count = 2
        if (wireType !== 0) break;
        target.droppedAttributesCount = reader.uint32();
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return target;
}

// trace.proto ScopeSpans; spans with unusable ids are counted in `rejections` and left out.
function decodeScopeSpans(reader: BufferWireReader, depth: number, resourceIndex: number, scopeIndex: number, rejections: SpanRejections): ScopeSpans {
  const enclosingLimit = enterMessage(reader, depth);
  let scope: InstrumentationScope | undefined;
  const spans: Span[] = [];
  let spanIndex = 0;
  let schemaUrl = '';
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // InstrumentationScope scope = 1
        if (wireType !== 2) break;
        // A scope field that comes again is merged: the scope's bytes then cannot be written
        // piecewise (scope-spans-subset.ts), which outlines need, so the scope is decoded whole.
        if (scope !== undefined && outlining && decodeLosses.tracking) decodeLosses.count++;
        scope = decodeScope(reader, depth + 1, scope);
        continue;
      case 2: {
        // repeated Span spans = 2
        if (wireType !== 2) break;
        const span = outlining ? decodeSpanOrOutline(reader, depth + 1) : decodeSpan(reader, depth + 1);
        const problem = describeInvalidSpanIds(span);
        if (problem === undefined) spans.push(span);
        else rejections.reject(spanPath(resourceIndex, scopeIndex, spanIndex), problem);
        spanIndex++;
        continue;
      }
      case 3: // string schema_url = 3
        if (wireType !== 2) break;
        schemaUrl = readString(reader);
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return {
    scope: scope ?? { name: '', version: '', attributes: {}, droppedAttributesCount: 0 },
    spans,
    schemaUrl,
  };
}

// common.proto InstrumentationScope, merged into `scope` when the field appeared before.
function decodeScope(reader: BufferWireReader, depth: number, scope: InstrumentationScope | undefined): InstrumentationScope {
  const enclosingLimit = enterMessage(reader, depth);
  const target = scope ?? { name: '', version: '', attributes: {}, droppedAttributesCount: 0 };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // string name = 1
        if (wireType !== 2) break;
        target.name = readString(reader);
        continue;
      case 2: // string version = 2
        if (wireType !== 2) break;
        target.version = readString(reader);
        continue;
      case 3: // repeated KeyValue attributes = 3
        if (wireType !== 2) break;
        decodeKeyValueInto(reader, depth + 1, target.attributes);
        continue;
      case 4: // uint32 dropped_attributes_count = 4
        if (wireType !== 0) break;
        target.droppedAttributesCount = reader.uint32();
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return target;
}

// trace.proto Span
function decodeSpan(reader: BufferWireReader, depth: number): Span {
  const enclosingLimit = enterMessage(reader, depth);
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  const events: SpanEvent[] = [];
  let droppedEventsCount = 0;
  const links: SpanLink[] = [];
  let droppedLinksCount = 0;
  let status: SpanStatus | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // bytes trace_id = 1
        if (wireType !== 2) break;
        traceId = readHex(reader);
        continue;
      case 2: // bytes span_id = 2
        if (wireType !== 2) break;
        spanId = readHex(reader);
        continue;
      case 3: // string trace_state = 3
        if (wireType !== 2) break;
        traceState = readString(reader);
        continue;
      case 4: // bytes parent_span_id = 4
        if (wireType !== 2) break;
        parentSpanId = readHex(reader);
        continue;
      case 5: // string name = 5
        if (wireType !== 2) break;
        name = readString(reader);
        continue;
      case 6: // SpanKind kind = 6
        if (wireType !== 0) break;
        kind = reader.int32();
        continue;
      case 7: // fixed64 start_time_unix_nano = 7
        if (wireType !== 1) break;
        startTimeUnixNano = readFixed64BigInt(reader);
        continue;
      case 8: // fixed64 end_time_unix_nano = 8
        if (wireType !== 1) break;
        endTimeUnixNano = readFixed64BigInt(reader);
        continue;
      case 9: // repeated KeyValue attributes = 9
        if (wireType !== 2) break;
        decodeKeyValueInto(reader, depth + 1, attributes);
        continue;
      case 10: // uint32 dropped_attributes_count = 10
        if (wireType !== 0) break;
        droppedAttributesCount = reader.uint32();
        continue;
      case 11: // repeated Event events = 11
        if (wireType !== 2) break;
        events.push(decodeEvent(reader, depth + 1));
        continue;
      case 12: // uint32 dropped_events_count = 12
        if (wireType !== 0) break;
        droppedEventsCount = reader.uint32();
        continue;
      case 13: // repeated Link links = 13
        if (wireType !== 2) break;
        links.push(decodeLink(reader, depth + 1));
        continue;
      case 14: // uint32 dropped_links_count = 14
        if (wireType !== 0) break;
        droppedLinksCount = reader.uint32();
        continue;
      case 15: // Status status = 15
        if (wireType !== 2) break;
        status = decodeStatus(reader, depth + 1, status);
        continue;
      case 16: // fixed32 flags = 16
        if (wireType !== 5) break;
        flags = reader.fixed32();
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState,
    flags,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status: status ?? { code: 0, message: '' },
  };
}

// trace.proto Span.Event
function decodeEvent(reader: BufferWireReader, depth: number): SpanEvent {
  const enclosingLimit = enterMessage(reader, depth);
  let timeUnixNano = 0n;
  let name = '';
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // fixed64 time_unix_nano = 1
        if (wireType !== 1) break;
        timeUnixNano = readFixed64BigInt(reader);
        continue;
      case 2: // string name = 2
        if (wireType !== 2) break;
        name = readString(reader);
        continue;
      case 3: // repeated KeyValue attributes = 3
        if (wireType !== 2) break;
        decodeKeyValueInto(reader, depth + 1, attributes);
        continue;
      case 4: // uint32 dropped_attributes_count = 4
        if (wireType !== 0) break;
        droppedAttributesCount = reader.uint32();
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

// trace.proto Span.Link
function decodeLink(reader: BufferWireReader, depth: number): SpanLink {
  const enclosingLimit = enterMessage(reader, depth);
  let traceId = '';
  let spanId = '';
  let traceState = '';
  const attributes: Attributes = {};
  let droppedAttributesCount = 0;
  let flags = 0;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // bytes trace_id = 1
        if (wireType !== 2) break;
        traceId = readHex(reader);
        continue;
      case 2: // bytes span_id = 2
        if (wireType !== 2) break;
        spanId = readHex(reader);
        continue;
      case 3: // string trace_state = 3
        if (wireType !== 2) break;
        traceState = readString(reader);
        continue;
      case 4: // repeated KeyValue attributes = 4
        if (wireType !== 2) break;
        decodeKeyValueInto(reader, depth + 1, attributes);
        continue;
      case 5: // uint32 dropped_attributes_count = 5
        if (wireType !== 0) break;
        droppedAttributesCount = reader.uint32();
        continue;
      case 6: // fixed32 flags = 6
        if (wireType !== 5) break;
        flags = reader.fixed32();
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

// trace.proto Status, merged into `status` when the field appeared before.
function decodeStatus(reader: BufferWireReader, depth: number, status: SpanStatus | undefined): SpanStatus {
  const enclosingLimit = enterMessage(reader, depth);
  const target = status ?? { code: 0, message: '' };
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 2: // string message = 2 (field 1 is reserved)
        if (wireType !== 2) break;
        target.message = readString(reader);
        continue;
      case 3: // StatusCode code = 3
        if (wireType !== 0) break;
        target.code = reader.int32();
        continue;
    }
    skipField(reader, wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return target;
}
