import type { LongHalves } from './int64.js';

/**
 * The shapes protobufjs produces when decoding (and accepts when encoding) the OTLP trace
 * messages from proto/. Field names are the proto names in lowerCamelCase. On decoded
 * messages unset scalars read their default from the prototype and unset sub-messages read
 * null; absent bytes fields read an empty array.
 */

export interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongHalves | number;
  doubleValue?: number;
  arrayValue?: WireArrayValue | null;
  kvlistValue?: WireKeyValueList | null;
  bytesValue?: Uint8Array;
}

export interface WireArrayValue {
  values: WireAnyValue[];
}

export interface WireKeyValueList {
  values: WireKeyValue[];
}

export interface WireKeyValue {
  key: string;
  value?: WireAnyValue | null;
}

export interface WireResource {
  attributes: WireKeyValue[];
  droppedAttributesCount?: number;
}

export interface WireInstrumentationScope {
  name?: string;
  version?: string;
  attributes: WireKeyValue[];
  droppedAttributesCount?: number;
}

export interface WireSpanEvent {
  timeUnixNano?: LongHalves | number;
  name?: string;
  attributes: WireKeyValue[];
  droppedAttributesCount?: number;
}

export interface WireSpanLink {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  attributes: WireKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface WireStatus {
  message?: string;
  code?: number;
}

export interface WireSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: LongHalves | number;
  endTimeUnixNano?: LongHalves | number;
  attributes: WireKeyValue[];
  droppedAttributesCount?: number;
  events: WireSpanEvent[];
  droppedEventsCount?: number;
  links: WireSpanLink[];
  droppedLinksCount?: number;
  status?: WireStatus | null;
}

export interface WireScopeSpans {
  scope?: WireInstrumentationScope | null;
  spans: WireSpan[];
  schemaUrl?: string;
}

export interface WireResourceSpans {
  resource?: WireResource | null;
  scopeSpans: WireScopeSpans[];
  schemaUrl?: string;
}

export interface WireExportTraceServiceRequest {
  resourceSpans: WireResourceSpans[];
}
