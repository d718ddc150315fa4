/**
 * The pipeline's in-memory form of OTLP trace data (opentelemetry-proto v1.x trace.proto).
 *
 * Both wire encodings (protobuf and the OTLP JSON mapping) decode to exactly this shape, so
 * processors never care how a request arrived. Ids are lowercase hex; timestamps are bigint
 * nanoseconds because fixed64 does not fit a double.
 */
export type AttributeValue = string | number | bigint | boolean | Uint8Array | null | AttributeValue[] | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

/** Status codes as in the proto: 0 UNSET, 1 OK, 2 ERROR. */
export interface SpanStatus {
  code: number;
  message: string;
}

export interface Span {
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** SpanKind as in the proto: 0 UNSPECIFIED … 5 CONSUMER. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: SpanStatus;
}

export interface ScopeSpans {
  scope: InstrumentationScope;
  spans: Span[];
  schemaUrl: string;
}

export interface ResourceSpans {
  resource: Resource;
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}
