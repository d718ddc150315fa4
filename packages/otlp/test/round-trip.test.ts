import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import type { Attributes } from '@decision-trace/model';
import {
  OTLP_PROTO_DIR,
  TRACE_SERVICE_PROTO_FILE,
  decodeTraceRequestJson,
  decodeTraceRequestProtobuf,
  decodeTraceRequestProtobufRaw,
  encodeTraceRequestJson,
  encodeTraceRequestProtobuf,
} from '../src/index.js';
import { makeRichResourceSpans, makeSpan } from './fixtures/model-spans.js';

// A generic protobufjs view of our bytes, with none of the package's normalization: it shows
// what is actually on the wire.
const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
const genericRoot = new protobuf.Root();
genericRoot.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
genericRoot.loadSync(TRACE_SERVICE_PROTO_FILE);
const GenericRequest = genericRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

function wireView(body: Uint8Array): any {
  return GenericRequest.toObject(GenericRequest.decode(body), { longs: String, bytes: String, defaults: false });
}

describe('our encoders round-trip through our decoders', () => {
  test('protobuf: encode then decode returns the input', () => {
    const input = makeRichResourceSpans();
    assert.deepStrictEqual(decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(input)), {
      resourceSpans: input,
      rejectedSpans: 0,
      errorMessage: '',
    });
  });

  test('JSON: encode then decode returns the input', () => {
    const input = makeRichResourceSpans();
    assert.deepStrictEqual(decodeTraceRequestJson(encodeTraceRequestJson(input)), {
      resourceSpans: input,
      rejectedSpans: 0,
      errorMessage: '',
    });
  });

  test('our protobuf is what the schema says, read by a plain protobufjs decode', () => {
    const input = makeRichResourceSpans();
    const wire = wireView(encodeTraceRequestProtobuf(input));
    const span = wire.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(Buffer.from(span.traceId, 'base64').toString('hex'), input[0].scopeSpans[0].spans[0].traceId);
    assert.equal(Buffer.from(span.parentSpanId, 'base64').toString('hex'), '0102030405060708');
    assert.equal(span.startTimeUnixNano, '1712345678901234567');
    assert.equal(span.endTimeUnixNano, '18446744073709551615');
    assert.equal(span.flags, 0x301);
    assert.equal(span.kind, 5);
    assert.deepStrictEqual(span.status, { code: 2, message: 'card declined' });
    const byKey = new Map<string, any>(span.attributes.map((kv: any) => [kv.key, kv.value]));
    assert.deepStrictEqual(byKey.get('count.huge'), { intValue: '9223372036854775807' });
    assert.deepStrictEqual(byKey.get('count.most_negative'), { intValue: '-9223372036854775808' });
    assert.deepStrictEqual(byKey.get('count.small'), { intValue: '42' });
    assert.deepStrictEqual(byKey.get('decision.confidence'), { doubleValue: 0.125 });
    assert.deepStrictEqual(byKey.get('raw.bytes'), { bytesValue: Buffer.from([0, 255, 16, 32]).toString('base64') });
    assert.deepStrictEqual(byKey.get('nothing'), {});
    assert.deepStrictEqual(byKey.get('map.nested').kvlistValue.values[1], { key: 'other', value: { stringValue: 'x' } });
    // Root span without parent: proto3 leaves the empty field off the wire.
    assert.equal(wire.resourceSpans[0].scopeSpans[0].spans[1].parentSpanId, undefined);
    // An unset status is not sent; an OK status with no message is.
    assert.equal(wire.resourceSpans[1].scopeSpans[0].spans[0].status, undefined);
    assert.deepStrictEqual(wire.resourceSpans[0].scopeSpans[0].spans[1].status, { code: 1 });
  });

  test('the raw decode and the normalized decode see the same request', () => {
    const body = encodeTraceRequestProtobuf(makeRichResourceSpans());
    const raw = decodeTraceRequestProtobufRaw(body);
    const normalized = decodeTraceRequestProtobuf(body);
    assert.equal(raw.resourceSpans.length, normalized.resourceSpans.length);
    assert.equal(raw.resourceSpans[0].scopeSpans[0].spans.length, normalized.resourceSpans[0].scopeSpans[0].spans.length);
    assert.equal(raw.resourceSpans[0].scopeSpans[0].spans[0].name, 'decide fraud');
  });

  test('protobuf and JSON agree on the same spans', () => {
    const input = makeRichResourceSpans();
    assert.deepStrictEqual(decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(input)), decodeTraceRequestJson(encodeTraceRequestJson(input)));
  });

  test('JSON output follows the OTLP mapping: hex ids, string int64s, numeric enums, base64 bytes', () => {
    const input = makeRichResourceSpans();
    const json = JSON.parse(encodeTraceRequestJson(input));
    const span = json.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(span.traceId, '5b8efff798038103d269b633813fc60c');
    assert.equal(span.parentSpanId, '0102030405060708');
    assert.equal(span.startTimeUnixNano, '1712345678901234567');
    assert.equal(span.kind, 5);
    assert.deepStrictEqual(span.status, { message: 'card declined', code: 2 });
    const byKey = new Map<string, any>(span.attributes.map((kv: any) => [kv.key, kv.value]));
    assert.deepStrictEqual(byKey.get('count.small'), { intValue: '42' });
    assert.deepStrictEqual(byKey.get('ratio.inf'), { doubleValue: 'Infinity' });
    assert.deepStrictEqual(byKey.get('raw.bytes'), { bytesValue: 'AP8QIA==' });
    assert.equal(json.resourceSpans[0].scopeSpans[0].spans[1].parentSpanId, undefined);
  });

  test('the attribute key "__proto__" stays an ordinary attribute', () => {
    const attributes: Attributes = { before: 1 };
    Object.defineProperty(attributes, '__proto__', { value: 'sneaky', enumerable: true, writable: true, configurable: true });
    const input = makeRichResourceSpans().slice(1);
    input[0].scopeSpans[0].spans = [makeSpan({ attributes })];
    for (const decoded of [decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(input)), decodeTraceRequestJson(encodeTraceRequestJson(input))]) {
      const decodedAttributes = decoded.resourceSpans[0].scopeSpans[0].spans[0].attributes;
      assert.equal(Object.getPrototypeOf(decodedAttributes), Object.prototype);
      assert.deepStrictEqual(Object.entries(decodedAttributes), [
        ['before', 1],
        ['__proto__', 'sneaky'],
      ]);
    }
  });
});
