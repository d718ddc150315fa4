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
import { isSpanOutline, outlineEncodingError } from './span-outline.js';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/**
 * Encodes spans as an OTLP/JSON ExportTraceServiceRequest: lowerCamelCase names, hex ids,
 * 64-bit integers as decimal strings, enums as numbers, bytes as base64. Fields holding their
 * default value are left out, as the protobuf JSON mapping allows.
 */
export function encodeTraceRequestJson(resourceSpans: readonly ReadonlyResourceSpans[]): string {
  return JSON.stringify({ resourceSpans: resourceSpans.map(toJsonResourceSpans) });
}

function toJsonResourceSpans(resourceSpans: ReadonlyResourceSpans): JsonObject {
  const json: JsonObject = {
    resource: toJsonResource(resourceSpans.resource),
    scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => {
      const scopeJson: JsonObject = {
        scope: toJsonScope(scopeSpans.scope),
        spans: scopeSpans.spans.map(toJsonSpan),
      };
      if (scopeSpans.schemaUrl !== '') scopeJson.schemaUrl = scopeSpans.schemaUrl;
      return scopeJson;
    }),
  };
  if (resourceSpans.schemaUrl !== '') json.schemaUrl = resourceSpans.schemaUrl;
  return json;
}

function toJsonResource(resource: ReadonlyResource): JsonObject {
  const json: JsonObject = { attributes: toJsonKeyValues(resource.attributes) };
  if (resource.droppedAttributesCount !== 0) json.droppedAttributesCount = resource.droppedAttributesCount;
  return json;
}

function toJsonScope(scope: ReadonlyInstrumentationScope): JsonObject {
  const json: JsonObject = { name: scope.name };
  if (scope.version !== '') json.version = scope.version;
  if (Object.keys(scope.attributes).length > 0) json.attributes = toJsonKeyValues(scope.attributes);
  if (scope.droppedAttributesCount !== 0) json.droppedAttributesCount = scope.droppedAttributesCount;
  return json;
}

function toJsonSpan(span: ReadonlySpan): JsonObject {
  if (isSpanOutline(span)) throw outlineEncodingError();
  const json: JsonObject = { traceId: span.traceId, spanId: span.spanId };
  if (span.traceState !== '') json.traceState = span.traceState;
  if (span.parentSpanId !== '') json.parentSpanId = span.parentSpanId;
  if (span.flags !== 0) json.flags = span.flags;
  json.name = span.name;
  if (span.kind !== 0) json.kind = span.kind;
  json.startTimeUnixNano = span.startTimeUnixNano.toString();
  json.endTimeUnixNano = span.endTimeUnixNano.toString();
  json.attributes = toJsonKeyValues(span.attributes);
  if (span.droppedAttributesCount !== 0) json.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events.length > 0) json.events = span.events.map(toJsonEvent);
  if (span.droppedEventsCount !== 0) json.droppedEventsCount = span.droppedEventsCount;
  if (span.links.length > 0) json.links = span.links.map(toJsonLink);
  if (span.droppedLinksCount !== 0) json.droppedLinksCount = span.droppedLinksCount;
  if (span.status.code !== 0 || span.status.message !== '') {
    const status: JsonObject = {};
    if (span.status.message !== '') status.message = span.status.message;
    if (span.status.code !== 0) status.code = span.status.code;
    json.status = status;
  }
  return json;
}

function toJsonEvent(event: ReadonlySpanEvent): JsonObject {
  const json: JsonObject = {
    timeUnixNano: event.timeUnixNano.toString(),
    name: event.name,
    attributes: toJsonKeyValues(event.attributes),
  };
  if (event.droppedAttributesCount !== 0) json.droppedAttributesCount = event.droppedAttributesCount;
  return json;
}

function toJsonLink(link: ReadonlySpanLink): JsonObject {
  const json: JsonObject = { traceId: link.traceId, spanId: link.spanId };
  if (link.traceState !== '') json.traceState = link.traceState;
  json.attributes = toJsonKeyValues(link.attributes);
  if (link.droppedAttributesCount !== 0) json.droppedAttributesCount = link.droppedAttributesCount;
  if (link.flags !== 0) json.flags = link.flags;
  return json;
}

function toJsonKeyValues(attributes: ReadonlyAttributes): JsonValue[] {
  const keys = Object.keys(attributes);
  const keyValues: JsonValue[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    keyValues[i] = { key: keys[i], value: toJsonAnyValue(attributes[keys[i]], attributes, keys[i]) };
  }
  return keyValues;
}

/** Same type choices as the protobuf encoder: integral numbers become intValue unless noted as doubles. */
function toJsonAnyValue(value: ReadonlyAttributeValue, container: ReadonlyAttributes | readonly ReadonlyAttributeValue[], key: string | number): JsonObject {
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      if (!isDoubleValue(container, key, value)) return { intValue: String(value) };
      // JSON has no literal for these; the protobuf JSON mapping spells them as strings.
      return { doubleValue: Number.isFinite(value) ? value : String(value) };
    case 'bigint':
      return { intValue: value.toString() };
  }
  if (value === null) return {};
  if (value instanceof Uint8Array) {
    return { bytesValue: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (isAttributeList(value)) return { arrayValue: { values: value.map((element, index) => toJsonAnyValue(element, value, index)) } };
  return { kvlistValue: { values: toJsonKeyValues(value) } };
}
