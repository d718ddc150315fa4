import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import {
  OTLP_PROTO_DIR,
  TRACE_SERVICE_PROTO_FILE,
  decodeTraceRequestJson,
  decodeTraceRequestProtobuf,
  encodeTraceRequestJson,
  encodeTraceRequestProtobuf,
} from '../src/index.js';

// A generic protobufjs view of the wire, independent of the package's codec.
const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
root.loadSync(TRACE_SERVICE_PROTO_FILE);
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

const kv = (key: string, value: Record<string, unknown>) => ({ key, value });
const ATTRIBUTES = [
  kv('double.integral', { doubleValue: 3 }),
  kv('double.zero', { doubleValue: 0 }),
  kv('int', { intValue: 3 }),
  kv('double.fraction', { doubleValue: 2.5 }),
  kv('array', { arrayValue: { values: [{ intValue: 1 }, { doubleValue: 1 }, { arrayValue: { values: [{ doubleValue: 6 }] } }] } }),
  kv('kvlist', { kvlistValue: { values: [kv('d', { doubleValue: 4 }), kv('i', { intValue: 4 })] } }),
  // The same key twice: the last value wins, and with it its type.
  kv('twice', { doubleValue: 5 }),
  kv('twice', { intValue: 5 }),
];
const EXPECTED = [
  kv('double.integral', { doubleValue: 3 }),
  kv('double.zero', { doubleValue: 0 }),
  kv('int', { intValue: '3' }),
  kv('double.fraction', { doubleValue: 2.5 }),
  kv('array', { arrayValue: { values: [{ intValue: '1' }, { doubleValue: 1 }, { arrayValue: { values: [{ doubleValue: 6 }] } }] } }),
  kv('kvlist', { kvlistValue: { values: [kv('d', { doubleValue: 4 }), kv('i', { intValue: '4' })] } }),
  kv('twice', { intValue: '5' }),
];

function request(): Uint8Array {
  return Request.encode(
    Request.fromObject({
      resourceSpans: [
        {
          resource: { attributes: ATTRIBUTES },
          scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 'x', attributes: ATTRIBUTES }] }],
        },
      ],
    }),
  ).finish();
}

function wireAttributes(body: Uint8Array): { resource: unknown; span: unknown } {
  const object = Request.toObject(Request.decode(body), { longs: String, bytes: String, oneofs: false }) as any;
  return { resource: object.resourceSpans[0].resource.attributes, span: object.resourceSpans[0].scopeSpans[0].spans[0].attributes };
}

describe('an OTLP double with an integral value leaves as a double (int 3 and double 3.0 differ on the wire)', () => {
  test('protobuf in, protobuf out', () => {
    const out = encodeTraceRequestProtobuf(decodeTraceRequestProtobuf(request()).resourceSpans);
    assert.deepEqual(wireAttributes(out), { resource: EXPECTED, span: EXPECTED });
  });

  test('protobuf in, JSON out', () => {
    const json = JSON.parse(Buffer.from(encodeTraceRequestJson(decodeTraceRequestProtobuf(request()).resourceSpans)).toString('utf8'));
    const span = json.resourceSpans[0].scopeSpans[0].spans[0].attributes;
    assert.deepEqual(span[0], kv('double.integral', { doubleValue: 3 }));
    assert.deepEqual(span[2], kv('int', { intValue: '3' }));
    assert.deepEqual(span[4].value.arrayValue.values[1], { doubleValue: 1 });
  });

  test('JSON in, protobuf out', () => {
    const json = encodeTraceRequestJson(decodeTraceRequestProtobuf(request()).resourceSpans);
    const out = encodeTraceRequestProtobuf(decodeTraceRequestJson(Buffer.from(json)).resourceSpans);
    assert.deepEqual(wireAttributes(out), { resource: EXPECTED, span: EXPECTED });
  });

  test('the decoded model is unchanged: plain numbers, deep-equal to what it was', () => {
    const [resourceSpans] = decodeTraceRequestProtobuf(request()).resourceSpans;
    const attributes = resourceSpans.scopeSpans[0].spans[0].attributes;
    assert.deepEqual(
      { ...attributes },
      { 'double.integral': 3, 'double.zero': 0, int: 3, 'double.fraction': 2.5, array: [1, 1, [6]], kvlist: { d: 4, i: 4 }, twice: 5 },
    );
    assert.deepEqual(Object.keys(attributes), ['double.integral', 'double.zero', 'int', 'double.fraction', 'array', 'kvlist', 'twice']);
    assert.equal(JSON.stringify(attributes.array), '[1,1,[6]]');
  });
});
