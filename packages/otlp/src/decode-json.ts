import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  Resource,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  SpanStatus,
} from '@decision-trace/model';
import { parseJsonExact } from '@decision-trace/model';
import type { DecodedTraceRequest } from './decoded-request.js';
import { assertAttributeNesting, assertJsonBodyNesting } from './attribute-nesting.js';
import { OtlpDecodeError } from './errors.js';
import {
  JsonShapeError,
  type JsonObject,
  isJsonObject,
  member,
  readArray,
  readBase64,
  readBool,
  readDouble,
  readEnum,
  readHexId,
  readInt64,
  readObject,
  readString,
  readUint32,
  readUint64,
} from './json-fields.js';
import { setAttribute } from './set-attribute.js';
import { noteIntegralDouble } from '@decision-trace/model';
import { SpanRejections, describeInvalidSpanIds, spanPath } from './span-rejections.js';

const SPAN_KIND_NAMES: ReadonlyMap<string, number> = new Map([
  ['SPAN_KIND_UNSPECIFIED', 0],
  ['SPAN_KIND_INTERNAL', 1],
  ['SPAN_KIND_SERVER', 2],
  ['SPAN_KIND_CLIENT', 3],
  ['SPAN_KIND_PRODUCER', 4],
  ['SPAN_KIND_CONSUMER', 5],
]);

const STATUS_CODE_NAMES: ReadonlyMap<string, number> = new Map([
  ['STATUS_CODE_UNSET', 0],
  ['STATUS_CODE_OK', 1],
  ['STATUS_CODE_ERROR', 2],
]);

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest into the model's span shape. Ids must be hex
 * (any case); a value that is not hex, or any field of the wrong type, fails the whole body
 * with its path, while well-formed ids of the wrong length only reject their span.
 */
export function decodeTraceRequestJson(body: string | Uint8Array): DecodedTraceRequest {
  assertJsonBodyNesting(body);
  const request = parseJsonBody(body);
  const rejections = new SpanRejections();
  try {
    const list = readArray(request, 'resourceSpans', 'resource_spans');
    const resourceSpans: ResourceSpans[] = new Array(list.length);
    for (let r = 0; r < list.length; r++) {
      try {
        resourceSpans[r] = toResourceSpans(expectObject(list[r]), r, rejections);
      } catch (error) {
        throw within(error, `resourceSpans[${r}]`);
      }
    }
    assertAttributeNesting(resourceSpans);
    return { resourceSpans, rejectedSpans: rejections.count, errorMessage: rejections.errorMessage };
  } catch (error) {
    if (error instanceof JsonShapeError) throw new OtlpDecodeError(`${error.path}: ${error.message}`);
    throw error;
  }
}

function parseJsonBody(body: string | Uint8Array): JsonObject {
  let text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    // Exact: intValue and times may be JSON numbers beyond 2^53 (the fast JSON.parse otherwise).
    parsed = parseJsonExact(text);
  } catch (error) {
    throw new OtlpDecodeError(`invalid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new OtlpDecodeError('invalid request: expected a JSON object');
  return parsed;
}

function within(error: unknown, segment: string): unknown {
  return error instanceof JsonShapeError ? error.within(segment) : error;
}

function expectObject(value: unknown): JsonObject {
  if (isJsonObject(value)) return value;
  throw new JsonShapeError('', 'expected an object');
}

function toResourceSpans(object: JsonObject, resourceIndex: number, rejections: SpanRejections): ResourceSpans {
  const resource = readObject(object, 'resource', 'resource');
  let normalizedResource: Resource;
  try {
    normalizedResource = toResource(resource);
  } catch (error) {
    throw within(error, 'resource');
  }
  const list = readArray(object, 'scopeSpans', 'scope_spans');
  const scopeSpans: ScopeSpans[] = new Array(list.length);
  for (let s = 0; s < list.length; s++) {
    try {
      scopeSpans[s] = toScopeSpans(expectObject(list[s]), resourceIndex, s, rejections);
    } catch (error) {
      throw within(error, `scopeSpans[${s}]`);
    }
  }
  return { resource: normalizedResource, scopeSpans, schemaUrl: readString(object, 'schemaUrl', 'schema_url') };
}

function toResource(object: JsonObject | undefined): Resource {
  if (object === undefined) return { attributes: {}, droppedAttributesCount: 0 };
  return {
    attributes: toAttributes(readArray(object, 'attributes', 'attributes'), 'attributes'),
    droppedAttributesCount: readUint32(object, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function toScopeSpans(object: JsonObject, resourceIndex: number, scopeIndex: number, rejections: SpanRejections): ScopeSpans {
  const scopeObject = readObject(object, 'scope', 'scope');
  let scope: InstrumentationScope;
  try {
    scope = toScope(scopeObject);
  } catch (error) {
    throw within(error, 'scope');
  }
  const list = readArray(object, 'spans', 'spans');
  const spans: Span[] = [];
  for (let i = 0; i < list.length; i++) {
    let span: Span;
    try {
      span = toSpan(expectObject(list[i]));
    } catch (error) {
      throw within(error, `spans[${i}]`);
    }
    const problem = describeInvalidSpanIds(span);
    if (problem === undefined) spans.push(span);
    else rejections.reject(spanPath(resourceIndex, scopeIndex, i), problem);
  }
  return { scope, spans, schemaUrl: readString(object, 'schemaUrl', 'schema_url') };
}

function toScope(object: JsonObject | undefined): InstrumentationScope {
  if (object === undefined) return { name: '', version: '', attributes: {}, droppedAttributesCount: 0 };
  return {
    name: readString(object, 'name', 'name'),
    version: readString(object, 'version', 'version'),
    attributes: toAttributes(readArray(object, 'attributes', 'attributes'), 'attributes'),
    droppedAttributesCount: readUint32(object, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function toSpan(object: JsonObject): Span {
  return {
    traceId: readHexId(object, 'traceId', 'trace_id'),
    spanId: readHexId(object, 'spanId', 'span_id'),
    parentSpanId: readHexId(object, 'parentSpanId', 'parent_span_id'),
    traceState: readString(object, 'traceState', 'trace_state'),
    flags: readUint32(object, 'flags', 'flags'),
    name: readString(object, 'name', 'name'),
    kind: readEnum(object, 'kind', 'kind', SPAN_KIND_NAMES),
    startTimeUnixNano: readUint64(object, 'startTimeUnixNano', 'start_time_unix_nano'),
    endTimeUnixNano: readUint64(object, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: toAttributes(readArray(object, 'attributes', 'attributes'), 'attributes'),
    droppedAttributesCount: readUint32(object, 'droppedAttributesCount', 'dropped_attributes_count'),
    events: toEvents(readArray(object, 'events', 'events')),
    droppedEventsCount: readUint32(object, 'droppedEventsCount', 'dropped_events_count'),
    links: toLinks(readArray(object, 'links', 'links')),
    droppedLinksCount: readUint32(object, 'droppedLinksCount', 'dropped_links_count'),
    status: toStatus(readObject(object, 'status', 'status')),
  };
}

function toStatus(object: JsonObject | undefined): SpanStatus {
  if (object === undefined) return { code: 0, message: '' };
  try {
    return {
      code: readEnum(object, 'code', 'code', STATUS_CODE_NAMES),
      message: readString(object, 'message', 'message'),
    };
  } catch (error) {
    throw within(error, 'status');
  }
}

function toEvents(list: readonly unknown[]): SpanEvent[] {
  const events: SpanEvent[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const object = expectObject(list[i]);
      events[i] = {
        timeUnixNano: readUint64(object, 'timeUnixNano', 'time_unix_nano'),
        name: readString(object, 'name', 'name'),
        attributes: toAttributes(readArray(object, 'attributes', 'attributes'), 'attributes'),
        droppedAttributesCount: readUint32(object, 'droppedAttributesCount', 'dropped_attributes_count'),
      };
    } catch (error) {
      throw within(error, `events[${i}]`);
    }
  }
  return events;
}

function toLinks(list: readonly unknown[]): SpanLink[] {
  const links: SpanLink[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      const object = expectObject(list[i]);
      links[i] = {
        traceId: readHexId(object, 'traceId', 'trace_id'),
        spanId: readHexId(object, 'spanId', 'span_id'),
        traceState: readString(object, 'traceState', 'trace_state'),
        attributes: toAttributes(readArray(object, 'attributes', 'attributes'), 'attributes'),
        droppedAttributesCount: readUint32(object, 'droppedAttributesCount', 'dropped_attributes_count'),
        flags: readUint32(object, 'flags', 'flags'),
      };
    } catch (error) {
      throw within(error, `links[${i}]`);
    }
  }
  return links;
}

/** `fieldName` only labels error paths: `attributes`, or `values` inside a kvlist. */
function toAttributes(list: readonly unknown[], fieldName: string): Attributes {
  const attributes: Attributes = {};
  for (let i = 0; i < list.length; i++) {
    try {
      const keyValue = expectObject(list[i]);
      const key = readString(keyValue, 'key', 'key');
      const valueObject = readObject(keyValue, 'value', 'value');
      let value: AttributeValue;
      try {
        value = toAttributeValue(valueObject);
      } catch (error) {
        throw within(error, 'value');
      }
      setAttribute(attributes, key, value);
      if (typeof value === 'number') noteIntegralDouble(attributes, key, decodedDouble && Number.isSafeInteger(value));
    } catch (error) {
      throw within(error, `${fieldName}[${i}]`);
    }
  }
  return attributes;
}

/** Whether the last toAttributeValue call returned a number from `doubleValue` (see noteIntegralDouble). */
let decodedDouble = false;

/** One AnyValue; the first member present wins, none present is the null value. */
function toAttributeValue(object: JsonObject | undefined): AttributeValue {
  decodedDouble = false;
  if (object === undefined) return null;
  if (member(object, 'stringValue', 'string_value') != null) return readString(object, 'stringValue', 'string_value');
  if (member(object, 'intValue', 'int_value') != null) return readInt64(object, 'intValue', 'int_value');
  if (member(object, 'boolValue', 'bool_value') != null) return readBool(object, 'boolValue', 'bool_value');
  if (member(object, 'doubleValue', 'double_value') != null) {
    const double = readDouble(object, 'doubleValue', 'double_value');
    decodedDouble = true;
    return double;
  }
  if (member(object, 'arrayValue', 'array_value') != null) {
    const array = readObject(object, 'arrayValue', 'array_value')!;
    try {
      const list = readArray(array, 'values', 'values');
      const values: AttributeValue[] = new Array(list.length);
      for (let i = 0; i < list.length; i++) {
        const element = list[i];
        try {
          const value = toAttributeValue(element == null ? undefined : expectObject(element));
          if (decodedDouble && typeof value === 'number' && Number.isSafeInteger(value)) noteIntegralDouble(values, i, true);
          values[i] = value;
        } catch (error) {
          throw within(error, `values[${i}]`);
        }
      }
      return values;
    } catch (error) {
      throw within(error, 'arrayValue');
    }
  }
  if (member(object, 'kvlistValue', 'kvlist_value') != null) {
    const kvlist = readObject(object, 'kvlistValue', 'kvlist_value')!;
    try {
      return toAttributes(readArray(kvlist, 'values', 'values'), 'values');
    } catch (error) {
      throw within(error, 'kvlistValue');
    }
  }
  if (member(object, 'bytesValue', 'bytes_value') != null) return readBase64(object, 'bytesValue', 'bytes_value');
  return null;
}
