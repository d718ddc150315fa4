import type { Attributes, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';

/**
 * The parts of the OpenTelemetry JS SDK's `ReadableSpan` this package reads, written out
 * structurally so the package does not depend on one SDK line: `@opentelemetry/sdk-trace-base`
 * 1.x/2.x and `@opentelemetry/sdk-trace` 3.x all hand processors objects of this shape (1.x named
 * two of the fields differently; both spellings are accepted).
 */
export interface ResourceLike {
  readonly attributes: Attributes;
}

export interface InstrumentationScopeLike {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

export interface TimedEventLike {
  readonly time: HrTime;
  readonly name: string;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

export interface ReadableSpanLike {
  readonly name: string;
  readonly kind: number;
  spanContext(): SpanContext;
  /** 2.x and later. */
  readonly parentSpanContext?: SpanContext;
  /** 1.x. */
  readonly parentSpanId?: string;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEventLike[];
  readonly resource: ResourceLike;
  /** 2.x and later. */
  readonly instrumentationScope?: InstrumentationScopeLike;
  /** 1.x. */
  readonly instrumentationLibrary?: InstrumentationScopeLike;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/** The SDK's `SpanProcessor`, structurally (see ReadableSpanLike for why). */
export interface SpanProcessorLike {
  onStart(span: unknown, parentContext: unknown): void;
  onEnd(span: ReadableSpanLike): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The SDK's `ExportResult`: `code` 0 is SUCCESS, 1 is FAILED. */
export interface ExportResultLike {
  code: number;
  error?: Error;
}

/**
 * The SDK's `SpanExporter`, structurally: `OTLPTraceExporter` from
 * `@opentelemetry/exporter-trace-otlp-http`, `-proto` or `-grpc` of either SDK line is one.
 */
export interface SpanExporterLike {
  export(spans: ReadableSpanLike[], resultCallback: (result: ExportResultLike) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}
