import type { Attributes as OtelAttributes, HrTime, Link } from '@opentelemetry/api';
import type { Attributes, InstrumentationScope, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink } from '@decision-trace/model';
import type { InstrumentationScopeLike, ReadableSpanLike, TimedEventLike } from '../otel-span-like.js';

/**
 * The OpenTelemetry JS SDK's finished spans → the model's OTLP span shape, so that the pure
 * conversion the collector runs (`extractDecisionEvents`) runs here unchanged. Ids stay
 * lowercase hex as the SDK keeps them, times become bigint nanoseconds, attribute objects are
 * passed as they are (the model only reads them, and the SDK never changes an ended span's).
 */

const NANOS_PER_SECOND = 1_000_000_000n;

export function hrTimeToNanos(time: HrTime): bigint {
  return BigInt(time[0]) * NANOS_PER_SECOND + BigInt(time[1]);
}

/** OTel API SpanKind counts from INTERNAL = 0; the proto counts from UNSPECIFIED = 0. */
function protoSpanKind(apiKind: number): number {
  return apiKind + 1;
}

function modelAttributes(attributes: OtelAttributes | undefined): Attributes {
  // The API's attribute values are a subset of the model's, apart from `undefined`, which the
  // model's readers treat like an absent key.
  return (attributes ?? EMPTY_ATTRIBUTES) as Attributes;
}

const EMPTY_ATTRIBUTES: Attributes = Object.freeze({}) as Attributes;

function modelEvent(event: TimedEventLike): SpanEvent {
  return {
    timeUnixNano: hrTimeToNanos(event.time),
    name: event.name,
    attributes: modelAttributes(event.attributes),
    droppedAttributesCount: event.droppedAttributesCount ?? 0,
  };
}

function modelLink(link: Link): SpanLink {
  return {
    traceId: link.context.traceId,
    spanId: link.context.spanId,
    traceState: link.context.traceState?.serialize() ?? '',
    attributes: modelAttributes(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
    flags: link.context.traceFlags,
  };
}

export function toModelSpan(span: ReadableSpanLike): Span {
  const spanContext = span.spanContext();
  return {
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? span.parentSpanId ?? '',
    traceState: spanContext.traceState?.serialize() ?? '',
    flags: spanContext.traceFlags,
    name: span.name,
    kind: protoSpanKind(span.kind),
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: modelAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(modelEvent),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(modelLink),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
  };
}

export function spanScope(span: ReadableSpanLike): InstrumentationScopeLike {
  return span.instrumentationScope ?? span.instrumentationLibrary ?? UNKNOWN_SCOPE;
}

const UNKNOWN_SCOPE: InstrumentationScopeLike = { name: '' };

/**
 * Groups model spans by resource and instrumentation scope, as an OTLP request would. The SDK
 * shares one resource object per provider and one scope object per tracer, so grouping is by
 * object identity.
 */
export class ResourceSpansBuilder {
  private readonly byResource = new Map<object, { resourceSpans: ResourceSpans; scopes: Map<object, ScopeSpans> }>();

  add(resourceKey: object, resourceAttributes: OtelAttributes, scope: InstrumentationScopeLike, span: Span): void {
    let resource = this.byResource.get(resourceKey);
    if (resource === undefined) {
      resource = {
        resourceSpans: {
          resource: { attributes: modelAttributes(resourceAttributes), droppedAttributesCount: 0 },
          scopeSpans: [],
          schemaUrl: '',
        },
        scopes: new Map(),
      };
      this.byResource.set(resourceKey, resource);
    }
    let scopeSpans = resource.scopes.get(scope);
    if (scopeSpans === undefined) {
      scopeSpans = { scope: modelScope(scope), spans: [], schemaUrl: scope.schemaUrl ?? '' };
      resource.scopes.set(scope, scopeSpans);
      resource.resourceSpans.scopeSpans.push(scopeSpans);
    }
    scopeSpans.spans.push(span);
  }

  build(): ResourceSpans[] {
    return [...this.byResource.values()].map((entry) => entry.resourceSpans);
  }
}

function modelScope(scope: InstrumentationScopeLike): InstrumentationScope {
  return { name: scope.name, version: scope.version ?? '', attributes: {}, droppedAttributesCount: 0 };
}
