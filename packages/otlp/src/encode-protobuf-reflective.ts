import type {
  ReadonlyAttributeValue,
  ReadonlyAttributes,
  ReadonlyInstrumentationScope,
  ReadonlyResource,
  ReadonlyResourceSpans,
  ReadonlySpan,
  ReadonlySpanEvent,
  ReadonlySpanLink,
} from '@decision-trace/model';
import { isAttributeList, isDoubleValue } from '@decision-trace/model';
import { bigIntToLongHalves } from './int64.js';
import { ExportTraceServiceRequestType } from './proto-root.js';
import type {
  WireAnyValue,
  WireInstrumentationScope,
  WireKeyValue,
  WireResource,
  WireResourceSpans,
  WireSpan,
  WireSpanEvent,
  WireSpanLink,
} from './wire-messages.js';

/**
 * Encodes spans as a binary-protobuf ExportTraceServiceRequest through protobufjs: the spans are
 * mapped to wire messages, which protobufjs's generated encoder writes (it skips proto3 default
 * values, so the output carries only what is set). The encoder the exporters used before the
 * direct one (direct-encoder.ts); kept as the reference the tests hold that one to, byte for
 * byte, and as the benchmark's baseline.
 */
export function encodeTraceRequestProtobufReflective(resourceSpans: readonly ReadonlyResourceSpans[]): Uint8Array {
  const wire: WireResourceSpans[] = new Array(resourceSpans.length);
  for (let r = 0; r < resourceSpans.length; r++) {
    const source = resourceSpans[r];
    wire[r] = {
      resource: toWireResource(source.resource),
      scopeSpans: source.scopeSpans.map((scopeSpans) => ({
        scope: toWireScope(scopeSpans.scope),
        spans: scopeSpans.spans.map(toWireSpan),
        schemaUrl: scopeSpans.schemaUrl,
      })),
      schemaUrl: source.schemaUrl,
    };
  }
  return ExportTraceServiceRequestType.encode({ resourceSpans: wire }).finish();
}

function toWireResource(resource: ReadonlyResource): WireResource {
  return {
    attributes: toWireKeyValues(resource.attributes),
    droppedAttributesCount: resource.droppedAttributesCount,
  };
}

function toWireScope(scope: ReadonlyInstrumentationScope): WireInstrumentationScope {
  return {
    name: scope.name,
    version: scope.version,
    attributes: toWireKeyValues(scope.attributes),
    droppedAttributesCount: scope.droppedAttributesCount,
  };
}

function toWireSpan(span: ReadonlySpan): WireSpan {
  return {
    traceId: hexToBytes(span.traceId),
    spanId: hexToBytes(span.spanId),
    traceState: span.traceState,
    parentSpanId: hexToBytes(span.parentSpanId),
    flags: span.flags,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: bigIntToLongHalves(span.startTimeUnixNano),
    endTimeUnixNano: bigIntToLongHalves(span.endTimeUnixNano),
    attributes: toWireKeyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(toWireEvent),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(toWireLink),
    droppedLinksCount: span.droppedLinksCount,
    // Status is a message field, so an unset status is left out rather than sent empty.
    status: span.status.code === 0 && span.status.message === '' ? null : span.status,
  };
}

function toWireEvent(event: ReadonlySpanEvent): WireSpanEvent {
  return {
    timeUnixNano: bigIntToLongHalves(event.timeUnixNano),
    name: event.name,
    attributes: toWireKeyValues(event.attributes),
    droppedAttributesCount: event.droppedAttributesCount,
  };
}

function toWireLink(link: ReadonlySpanLink): WireSpanLink {
  return {
    traceId: hexToBytes(link.traceId),
    spanId: hexToBytes(link.spanId),
    traceState: link.traceState,
    attributes: toWireKeyValues(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount,
    flags: link.flags,
  };
}

function toWireKeyValues(attributes: ReadonlyAttributes): WireKeyValue[] {
  const keys = Object.keys(attributes);
  const keyValues: WireKeyValue[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    keyValues[i] = { key: keys[i], value: toWireAnyValue(attributes[keys[i]], attributes, keys[i]) };
  }
  return keyValues;
}

/**
 * Integral numbers go out as intValue (as the OpenTelemetry SDKs do), others as doubleValue;
 * an integral number that arrived as a double (noted on its container, see isDoubleValue)
 * leaves as the double it was.
 */
function toWireAnyValue(value: ReadonlyAttributeValue, container: ReadonlyAttributes | readonly ReadonlyAttributeValue[], key: string | number): WireAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return isDoubleValue(container, key, value) ? { doubleValue: value } : { intValue: value };
    case 'bigint':
      return { intValue: bigIntToLongHalves(value) };
  }
  if (value === null) return {};
  if (value instanceof Uint8Array) return { bytesValue: value };
  if (isAttributeList(value)) return { arrayValue: { values: value.map((element, index) => toWireAnyValue(element, value, index)) } };
  return { kvlistValue: { values: toWireKeyValues(value) } };
}

function hexToBytes(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}
