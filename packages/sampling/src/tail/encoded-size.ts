import type { ReadonlyAttributeValue, ReadonlyAttributes, ReadonlyInstrumentationScope, ReadonlyResource, ReadonlySpan } from '@decision-trace/model';

/**
 * The size of a span in the OTLP protobuf encoding, computed from the model without encoding
 * it: what `bytes_limiting` counts and what the memory benchmark compares against. Integers
 * and doubles are told apart by value (the model keeps both as numbers). Byte for byte the
 * Collector's pdata `SizeProto`: an empty parent span id and an empty status are still written
 * (2 bytes each), an event's zero time is not.
 */
export function encodedSpanSize(span: ReadonlySpan): number {
  let size = 18 + 10; // trace_id, span_id
  size += stringField(span.traceState);
  size += span.parentSpanId !== '' ? 10 : 2;
  if (span.flags !== 0) size += 6;
  size += stringField(span.name);
  if (span.kind !== 0) size += 2;
  if (span.startTimeUnixNano !== 0n) size += 9;
  if (span.endTimeUnixNano !== 0n) size += 9;
  size += attributesSize(span.attributes);
  size += varintField(span.droppedAttributesCount);
  for (const event of span.events) {
    const eventSize =
      (event.timeUnixNano !== 0n ? 9 : 0) + stringField(event.name) + attributesSize(event.attributes) + varintField(event.droppedAttributesCount);
    size += 1 + varintSize(eventSize) + eventSize;
  }
  size += varintField(span.droppedEventsCount);
  for (const link of span.links) {
    const linkSize =
      18 + 10 + stringField(link.traceState) + attributesSize(link.attributes) + varintField(link.droppedAttributesCount) + (link.flags !== 0 ? 5 : 0);
    size += 1 + varintSize(linkSize) + linkSize;
  }
  size += varintField(span.droppedLinksCount);
  const statusSize = stringField(span.status.message) + varintField(span.status.code);
  size += 1 + varintSize(statusSize) + statusSize;
  return size;
}

/** A message field: tag, length, content. */
export function messageField(contentSize: number): number {
  return 1 + varintSize(contentSize) + contentSize;
}

export function resourceSize(resource: ReadonlyResource): number {
  return attributesSize(resource.attributes) + varintField(resource.droppedAttributesCount);
}

export function scopeSize(scope: ReadonlyInstrumentationScope): number {
  return stringField(scope.name) + stringField(scope.version) + attributesSize(scope.attributes) + varintField(scope.droppedAttributesCount);
}

export function attributesSize(attributes: ReadonlyAttributes): number {
  let size = 0;
  for (const key in attributes) {
    const keyValueSize = stringField(key) + anyValueField(attributes[key]);
    size += 1 + varintSize(keyValueSize) + keyValueSize;
  }
  return size;
}

function anyValueField(value: ReadonlyAttributeValue): number {
  const inner = anyValueSize(value);
  return 1 + varintSize(inner) + inner;
}

function anyValueSize(value: ReadonlyAttributeValue): number {
  if (value === null) return 0;
  switch (typeof value) {
    case 'string':
      return stringField(value) || 2;
    case 'boolean':
      return 2;
    case 'number':
      return Number.isInteger(value) ? 1 + signedVarintSize(value) : 9;
    case 'bigint':
      return 1 + (value < 0n ? 10 : varintSize(Number(value)));
  }
  if (value instanceof Uint8Array) return 1 + varintSize(value.length) + value.length;
  if (Array.isArray(value)) {
    let list = 0;
    for (const item of value) list += anyValueField(item);
    return 1 + varintSize(list) + list;
  }
  const kvlist = attributesSize(value as ReadonlyAttributes);
  return 1 + varintSize(kvlist) + kvlist;
}

function stringField(text: string): number {
  if (text === '') return 0;
  const bytes = utf8Length(text);
  return 1 + varintSize(bytes) + bytes;
}

function varintField(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

function signedVarintSize(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
