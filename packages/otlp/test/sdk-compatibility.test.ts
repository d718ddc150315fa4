import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes, InstrumentationScope, Resource, Span } from '@decision-trace/model';
import { type DecodedTraceRequest, decodeTraceRequestJson, decodeTraceRequestProtobuf, encodeTraceRequestProtobuf } from '../src/index.js';
import { REMOTE_PARENT, recordSdkSpans } from './fixtures/sdk-spans.js';

// Span flag bits from the OTLP specification (SpanFlags in trace.proto).
const CONTEXT_HAS_IS_REMOTE = 0x100;
const CONTEXT_IS_REMOTE = 0x200;

function nanos([seconds, nanoseconds]: HrTime): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return traceFlags | CONTEXT_HAS_IS_REMOTE | (isRemote ? CONTEXT_IS_REMOTE : 0);
}

/** What the SDK span must decode to, derived from the ReadableSpan alone. */
function expectedSpan(span: ReadableSpan): Span {
  const spanContext = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    parentSpanId: parent?.spanId ?? '',
    traceState: spanContext.traceState?.serialize() ?? '',
    flags: spanFlags(spanContext.traceFlags, parent?.isRemote),
    name: span.name,
    kind: span.kind + 1, // the API has no UNSPECIFIED, the proto does
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: { ...span.attributes } as Attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: nanos(event.time),
      name: event.name,
      attributes: { ...event.attributes } as Attributes,
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: { ...link.attributes } as Attributes,
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: spanFlags(link.context.traceFlags, link.context.isRemote),
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
  };
}

interface LocatedSpan {
  span: Span;
  scope: InstrumentationScope;
  scopeSchemaUrl: string;
  resource: Resource;
  resourceSchemaUrl: string;
}

function locateSpans(decoded: DecodedTraceRequest): Map<string, LocatedSpan> {
  const located = new Map<string, LocatedSpan>();
  for (const resourceSpans of decoded.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        assert.equal(located.has(span.spanId), false, `span ${span.spanId} decoded twice`);
        located.set(span.spanId, {
          span,
          scope: scopeSpans.scope,
          scopeSchemaUrl: scopeSpans.schemaUrl,
          resource: resourceSpans.resource,
          resourceSchemaUrl: resourceSpans.schemaUrl,
        });
      }
    }
  }
  return located;
}

/** The exporter reads scope attributes although core's InstrumentationScope type does not declare them. */
function scopeAttributes(span: ReadableSpan): Attributes {
  return { ...(span.instrumentationScope as { attributes?: Attributes }).attributes };
}

function assertMatchesSdkSpans(decoded: DecodedTraceRequest, sdkSpans: ReadableSpan[]): void {
  assert.equal(decoded.rejectedSpans, 0);
  assert.equal(decoded.errorMessage, '');
  const located = locateSpans(decoded);
  assert.equal(located.size, sdkSpans.length);
  for (const sdkSpan of sdkSpans) {
    const found = located.get(sdkSpan.spanContext().spanId);
    assert.ok(found, `span ${sdkSpan.name} missing`);
    assert.deepStrictEqual(found.span, expectedSpan(sdkSpan), `span ${sdkSpan.name}`);
    assert.deepStrictEqual(found.resource, {
      attributes: { ...sdkSpan.resource.attributes },
      droppedAttributesCount: 0,
    });
    assert.equal(found.resourceSchemaUrl, sdkSpan.resource.schemaUrl ?? '');
    const scope = sdkSpan.instrumentationScope;
    assert.deepStrictEqual(found.scope, {
      name: scope.name,
      version: scope.version ?? '',
      attributes: scopeAttributes(sdkSpan),
      droppedAttributesCount: 0,
    });
    assert.equal(found.scopeSchemaUrl, scope.schemaUrl ?? '');
  }
}

describe('decoding what the OpenTelemetry JS exporter sends', () => {
  let sdkSpans: ReadableSpan[];
  before(async () => {
    sdkSpans = await recordSdkSpans();
  });

  test('the fixture exercises what the comparison claims to cover', () => {
    const root = sdkSpans.find((span) => span.name === 'POST /refunds')!;
    assert.deepStrictEqual(root.startTime, [1_700_000_000, 123_456_789]);
    assert.equal(root.parentSpanContext?.spanId, REMOTE_PARENT.spanId);
    const crowded = sdkSpans.find((span) => span.name === 'crowded')!;
    assert.ok(crowded.droppedAttributesCount > 0 && crowded.droppedEventsCount > 0 && crowded.droppedLinksCount > 0);
    assert.ok(sdkSpans.some((span) => Object.keys(scopeAttributes(span)).length > 0));
    assert.deepStrictEqual(new Set(sdkSpans.map((span) => span.kind)), new Set([0, 1, 2, 3, 4]));
  });

  test('protobuf from ProtobufTraceSerializer decodes to every field of the ReadableSpans', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    assertMatchesSdkSpans(decodeTraceRequestProtobuf(body), sdkSpans);
  });

  test('JSON from JsonTraceSerializer decodes to every field of the ReadableSpans', () => {
    const body = JsonTraceSerializer.serializeRequest(sdkSpans)!;
    assertMatchesSdkSpans(decodeTraceRequestJson(body), sdkSpans);
    assertMatchesSdkSpans(decodeTraceRequestJson(Buffer.from(body).toString('utf8')), sdkSpans);
  });

  test('spot values: ns timestamps, remote-parent flags, error status, attribute types', () => {
    const decoded = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest(sdkSpans)!);
    const root = [...locateSpans(decoded).values()].find(({ span }) => span.name === 'POST /refunds')!.span;
    assert.equal(root.startTimeUnixNano, 1_700_000_000_123_456_789n);
    assert.equal(root.endTimeUnixNano, 1_700_000_001_000_000_005n);
    assert.equal(root.events[0].timeUnixNano, 1_700_000_000_500_000_001n);
    assert.equal(root.flags, 0x301);
    assert.equal(root.kind, 2);
    assert.deepStrictEqual(root.status, { code: 2, message: 'refund limit exceeded' });
    assert.equal(root.traceState, 'vendor=abc,other=x1');
    assert.equal(root.attributes['retry.count'], -3);
    assert.equal(root.attributes['large.int'], 2 ** 52 + 1);
    assert.equal(root.attributes['decision.confidence'], 0.93);
    assert.deepStrictEqual(root.attributes['flags'], [true, false, true]);
    assert.equal(root.attributes['zero.int'], 0);
    assert.equal(root.attributes['empty.text'], '');
    assert.equal(root.attributes['off'], false);
  });

  test('re-encoding the decoded spans with our encoder loses nothing', () => {
    const decoded = decodeTraceRequestProtobuf(ProtobufTraceSerializer.serializeRequest(sdkSpans)!);
    const again = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(decoded.resourceSpans));
    assert.deepStrictEqual(again, decoded);
    assertMatchesSdkSpans(again, sdkSpans);
  });
});
