import type { AttributeValue, Attributes, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink } from '@decision-trace/model';
import type { DecodedTraceRequest } from '../../src/decoded-request.js';
import { decodeTraceRequestProtobufRaw } from '../../src/decode-protobuf.js';
import { signedLongToInteger, unsignedLongToBigInt } from '../../src/int64.js';
import { setAttribute } from '../../src/set-attribute.js';
import { SpanRejections, describeInvalidSpanIds, spanPath } from '../../src/span-rejections.js';
import type {
  WireAnyValue,
  WireInstrumentationScope,
  WireKeyValue,
  WireResource,
  WireScopeSpans,
  WireSpan,
  WireSpanEvent,
  WireSpanLink,
} from '../../src/wire-messages.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * The protobuf decode as it was before the direct decoder: protobufjs's reflective decode into
 * wire messages, then a walk normalizing them into the model's shape. Kept, test-only, as the
 * reference the direct decoder must agree with.
 */
export function decodeTraceRequestReflective(body: Uint8Array): DecodedTraceRequest {
  const request = decodeTraceRequestProtobufRaw(body);
  const rejections = new SpanRejections();
  const wireResourceSpans = request.resourceSpans;
  const resourceSpans: ResourceSpans[] = new Array(wireResourceSpans.length);
  for (let r = 0; r < wireResourceSpans.length; r++) {
    const wire = wireResourceSpans[r];
    const wireScopeSpans = wire.scopeSpans;
    const scopeSpans: ScopeSpans[] = new Array(wireScopeSpans.length);
    for (let s = 0; s < wireScopeSpans.length; s++) {
      scopeSpans[s] = toScopeSpans(wireScopeSpans[s], r, s, rejections);
    }
    resourceSpans[r] = {
      resource: toResource(wire.resource),
      scopeSpans,
      schemaUrl: wire.schemaUrl ?? '',
    };
  }
  return { resourceSpans, rejectedSpans: rejections.count, errorMessage: rejections.errorMessage };
}

function toScopeSpans(wire: WireScopeSpans, resourceIndex: number, scopeIndex: number, rejections: SpanRejections): ScopeSpans {
  const wireSpans = wire.spans;
  const spans: Span[] = [];
  for (let i = 0; i < wireSpans.length; i++) {
    const span = toSpan(wireSpans[i]);
    const problem = describeInvalidSpanIds(span);
    if (problem === undefined) spans.push(span);
    else rejections.reject(spanPath(resourceIndex, scopeIndex, i), problem);
  }
  return { scope: toScope(wire.scope), spans, schemaUrl: wire.schemaUrl ?? '' };
}

function toResource(wire: WireResource | null | undefined): Resource {
  if (wire == null) return { attributes: {}, droppedAttributesCount: 0 };
  return {
    attributes: toAttributes(wire.attributes),
    droppedAttributesCount: wire.droppedAttributesCount ?? 0,
  };
}

function toScope(wire: WireInstrumentationScope | null | undefined): InstrumentationScope {
  if (wire == null) return { name: '', version: '', attributes: {}, droppedAttributesCount: 0 };
  return {
    name: wire.name ?? '',
    version: wire.version ?? '',
    attributes: toAttributes(wire.attributes),
    droppedAttributesCount: wire.droppedAttributesCount ?? 0,
  };
}

function toSpan(wire: WireSpan): Span {
  const status = wire.status;
  return {
    traceId: bytesToHex(wire.traceId),
    spanId: bytesToHex(wire.spanId),
    parentSpanId: bytesToHex(wire.parentSpanId),
    traceState: wire.traceState ?? '',
    flags: wire.flags ?? 0,
    name: wire.name ?? '',
    kind: wire.kind ?? 0,
    startTimeUnixNano: unsignedLongToBigInt(wire.startTimeUnixNano ?? 0),
    endTimeUnixNano: unsignedLongToBigInt(wire.endTimeUnixNano ?? 0),
    attributes: toAttributes(wire.attributes),
    droppedAttributesCount: wire.droppedAttributesCount ?? 0,
    events: toEvents(wire.events),
    droppedEventsCount: wire.droppedEventsCount ?? 0,
    links: toLinks(wire.links),
    droppedLinksCount: wire.droppedLinksCount ?? 0,
    status: status == null ? { code: 0, message: '' } : { code: status.code ?? 0, message: status.message ?? '' },
  };
}

function toEvents(wireEvents: WireSpanEvent[]): SpanEvent[] {
  const events: SpanEvent[] = new Array(wireEvents.length);
  for (let i = 0; i < wireEvents.length; i++) {
    const wire = wireEvents[i];
    events[i] = {
      timeUnixNano: unsignedLongToBigInt(wire.timeUnixNano ?? 0),
      name: wire.name ?? '',
      attributes: toAttributes(wire.attributes),
      droppedAttributesCount: wire.droppedAttributesCount ?? 0,
    };
  }
  return events;
}

function toLinks(wireLinks: WireSpanLink[]): SpanLink[] {
  const links: SpanLink[] = new Array(wireLinks.length);
  for (let i = 0; i < wireLinks.length; i++) {
    const wire = wireLinks[i];
    links[i] = {
      traceId: bytesToHex(wire.traceId),
      spanId: bytesToHex(wire.spanId),
      traceState: wire.traceState ?? '',
      attributes: toAttributes(wire.attributes),
      droppedAttributesCount: wire.droppedAttributesCount ?? 0,
      flags: wire.flags ?? 0,
    };
  }
  return links;
}

function toAttributes(keyValues: WireKeyValue[]): Attributes {
  const attributes: Attributes = {};
  for (let i = 0; i < keyValues.length; i++) {
    const keyValue = keyValues[i];
    setAttribute(attributes, keyValue.key, toAttributeValue(keyValue.value));
  }
  return attributes;
}

// The member that was on the wire is the decoded message's only own property (the others
// read defaults from the prototype). Should a sender put two members on the wire, the first
// one checked here wins.
function toAttributeValue(wire: WireAnyValue | null | undefined): AttributeValue {
  if (wire == null) return null;
  if (hasOwn.call(wire, 'stringValue')) return wire.stringValue!;
  if (hasOwn.call(wire, 'intValue')) return signedLongToInteger(wire.intValue!);
  if (hasOwn.call(wire, 'boolValue')) return wire.boolValue!;
  if (hasOwn.call(wire, 'doubleValue')) return wire.doubleValue!;
  if (hasOwn.call(wire, 'arrayValue')) {
    const wireValues = wire.arrayValue?.values ?? [];
    const values: AttributeValue[] = new Array(wireValues.length);
    for (let i = 0; i < wireValues.length; i++) values[i] = toAttributeValue(wireValues[i]);
    return values;
  }
  if (hasOwn.call(wire, 'kvlistValue')) return toAttributes(wire.kvlistValue?.values ?? []);
  // A copy, so an attribute does not keep the whole request body alive.
  if (hasOwn.call(wire, 'bytesValue')) return new Uint8Array(wire.bytesValue!);
  return null;
}

function bytesToHex(bytes: Uint8Array | undefined): string {
  if (bytes === undefined || bytes.length === 0) return '';
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('hex');
}
