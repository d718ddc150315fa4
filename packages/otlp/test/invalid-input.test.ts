import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceSpans, Span } from '@decision-trace/model';
import {
  OtlpDecodeError,
  decodeTraceRequestJson,
  decodeTraceRequestProtobuf,
  decodeTraceRequestProtobufRaw,
  encodeTraceRequestJson,
  encodeTraceRequestProtobuf,
} from '../src/index.js';
import { makeRichResourceSpans, makeSpan } from './fixtures/model-spans.js';

function throwsDecodeError(run: () => unknown, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${String(error)}`);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

/** A JSON request whose span at resourceSpans[0].scopeSpans[1].spans[3] is `badSpan`. */
function jsonWithFourthSpan(badSpan: Record<string, unknown>): string {
  const good = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
  return JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ spans: [good] }, { spans: [good, good, good, { ...good, ...badSpan }] }] }],
  });
}

function withSpans(spans: Span[]): ResourceSpans[] {
  return [
    {
      resource: { attributes: {}, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 's', version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
}

describe('bodies that cannot be decoded', () => {
  test('truncated protobuf', () => {
    const body = encodeTraceRequestProtobuf(makeRichResourceSpans());
    throwsDecodeError(() => decodeTraceRequestProtobuf(body.subarray(0, body.length - 7)), /^invalid protobuf: /);
    throwsDecodeError(() => decodeTraceRequestProtobufRaw(body.subarray(0, 40)), /^invalid protobuf: /);
  });

  test('garbage protobuf', () => {
    throwsDecodeError(() => decodeTraceRequestProtobuf(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])), /^invalid protobuf: /);
    throwsDecodeError(() => decodeTraceRequestProtobuf(Buffer.from('{"resourceSpans":[]}')), /^invalid protobuf: /);
  });

  test('an empty protobuf body is an empty request', () => {
    assert.deepStrictEqual(decodeTraceRequestProtobuf(new Uint8Array(0)), {
      resourceSpans: [],
      rejectedSpans: 0,
      errorMessage: '',
    });
  });

  test('invalid JSON', () => {
    throwsDecodeError(() => decodeTraceRequestJson('{"resourceSpans": ['), /^invalid JSON: /);
    throwsDecodeError(() => decodeTraceRequestJson(Buffer.from('{"a":1}x')), /^invalid JSON: .*position 7/);
    throwsDecodeError(() => decodeTraceRequestJson(''), /^invalid JSON: /);
  });

  test('JSON that is not an object', () => {
    throwsDecodeError(() => decodeTraceRequestJson('[]'), 'invalid request: expected a JSON object');
    throwsDecodeError(() => decodeTraceRequestJson('null'), 'invalid request: expected a JSON object');
  });

  test('JSON fields of the wrong type are reported with their path', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ startTimeUnixNano: 'soon' }, 'startTimeUnixNano: expected an integer'],
      [{ startTimeUnixNano: 1.5 }, 'startTimeUnixNano: expected an integer'],
      [{ endTimeUnixNano: '-1' }, 'endTimeUnixNano: expected an integer'],
      [{ endTimeUnixNano: '18446744073709551616' }, 'endTimeUnixNano: expected an unsigned 64-bit integer'],
      [{ name: 42 }, 'name: expected a string'],
      [{ kind: 'SERVER' }, 'kind: unknown value "SERVER"'],
      [{ traceId: 'not-hex-at-all-not-hex-at-all-xx' }, 'traceId: expected a hex string'],
      [{ spanId: 'abc' }, 'spanId: expected a hex string'],
      [{ flags: -1 }, 'flags: expected an unsigned 32-bit integer'],
      [{ attributes: {} }, 'attributes: expected an array'],
      [{ attributes: [{ key: 'a', value: { intValue: 'x' } }] }, 'attributes[0].value.intValue: expected an integer'],
      [{ attributes: [{ key: 'a', value: { intValue: '9223372036854775808' } }] }, 'attributes[0].value.intValue: expected a signed 64-bit integer'],
      [{ attributes: [{ key: 'a', value: { boolValue: 'true' } }] }, 'attributes[0].value.boolValue: expected a boolean'],
      [{ attributes: [{ key: 'a', value: { bytesValue: '***' } }] }, 'attributes[0].value.bytesValue: expected a base64 string'],
      [{ attributes: [{ key: 'a', value: { doubleValue: 'fast' } }] }, 'attributes[0].value.doubleValue: expected a number'],
      [
        {
          attributes: [
            { key: 'ok' },
            { key: 'a', value: { arrayValue: { values: [{}, { kvlistValue: { values: [{ key: 'x', value: { stringValue: 1 } }] } }] } } },
          ],
        },
        'attributes[1].value.arrayValue.values[1].kvlistValue.values[0].value.stringValue: expected a string',
      ],
      [{ attributes: [{ key: 'a', value: 'plain' }] }, 'attributes[0].value: expected an object'],
      [{ attributes: [{ key: 'a', value: { arrayValue: { values: [1] } } }] }, 'attributes[0].value.arrayValue.values[0]: expected an object'],
      [{ attributes: [{ key: 'a', value: { kvlistValue: [] } }] }, 'attributes[0].value.kvlistValue: expected an object'],
      [{ events: [{}, { timeUnixNano: true }] }, 'events[1].timeUnixNano: expected an integer'],
      [{ events: [{ attributes: [{ key: 7 }] }] }, 'events[0].attributes[0].key: expected a string'],
      [{ links: [{ traceId: 7 }] }, 'links[0].traceId: expected a hex string'],
      [{ status: { code: 'BAD' } }, 'status.code: unknown value "BAD"'],
      [{ status: [] }, 'status: expected an object'],
    ];
    for (const [badFields, expected] of cases) {
      throwsDecodeError(() => decodeTraceRequestJson(jsonWithFourthSpan(badFields)), `resourceSpans[0].scopeSpans[1].spans[3].${expected}`);
    }
  });

  test('wrong types above the span level are reported with their path', () => {
    throwsDecodeError(() => decodeTraceRequestJson('{"resourceSpans":{}}'), 'resourceSpans: expected an array');
    throwsDecodeError(() => decodeTraceRequestJson('{"resourceSpans":[7]}'), 'resourceSpans[0]: expected an object');
    throwsDecodeError(
      () => decodeTraceRequestJson('{"resourceSpans":[{"resource":{"droppedAttributesCount":"x"}}]}'),
      'resourceSpans[0].resource.droppedAttributesCount: expected an unsigned 32-bit integer',
    );
    throwsDecodeError(
      () => decodeTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"scope":{"name":false}}]}]}'),
      'resourceSpans[0].scopeSpans[0].scope.name: expected a string',
    );
    throwsDecodeError(
      () => decodeTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"scope":5}]}]}'),
      'resourceSpans[0].scopeSpans[0].scope: expected an object',
    );
    throwsDecodeError(() => decodeTraceRequestJson('{"resourceSpans":[{"resource":[]}]}'), 'resourceSpans[0].resource: expected an object');
  });
});

describe('spans with ids of the wrong length', () => {
  const valid = makeSpan({ spanId: '1111111111111111', name: 'valid' });
  const alsoValid = makeSpan({ spanId: '2222222222222222', parentSpanId: '1111111111111111', name: 'also valid' });
  const shortTraceId = makeSpan({ traceId: '5b8efff798038103d269b633813fc6', name: 'short trace id' });
  const longSpanId = makeSpan({ spanId: 'eee19b7ec3c1b17400', name: 'long span id' });
  const badParent = makeSpan({ parentSpanId: '01020304', name: 'bad parent' });
  const badLink = makeSpan({
    name: 'bad link',
    links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '', traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 }],
  });
  const input = withSpans([shortTraceId, valid, longSpanId, badParent, alsoValid, badLink]);

  for (const [format, decode] of [
    ['protobuf', () => decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(input))],
    ['JSON', () => decodeTraceRequestJson(encodeTraceRequestJson(input))],
  ] as const) {
    test(`${format}: they are counted and left out, the others kept`, () => {
      const decoded = decode();
      assert.equal(decoded.rejectedSpans, 4);
      assert.deepStrictEqual(decoded.resourceSpans[0].scopeSpans[0].spans, [valid, alsoValid]);
      assert.equal(decoded.errorMessage, 'rejected 4 spans, first: resourceSpans[0].scopeSpans[0].spans[0].traceId is 15 bytes, expected 16');
    });
  }

  test('each kind of problem is named', () => {
    const reasons = [longSpanId, badParent, badLink].map((span) => decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(withSpans([span]))).errorMessage);
    assert.deepStrictEqual(reasons, [
      'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[0].spanId is 9 bytes, expected 8',
      'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[0].parentSpanId is 4 bytes, expected 8',
      'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId is 0 bytes, expected 8',
    ]);
  });

  test('all-zero trace and span ids are invalid (OTLP spec) and rejected the same way; all-zero link ids are kept', () => {
    const zeroTrace = makeSpan({ traceId: '0'.repeat(32), name: 'zero trace id' });
    const zeroSpan = makeSpan({ spanId: '0'.repeat(16), name: 'zero span id' });
    // The OTel spec asks SDKs to keep links to an invalid span context that carry attributes.
    const zeroLink = makeSpan({
      spanId: '3333333333333333',
      name: 'link to an invalid context',
      links: [{ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceState: '', attributes: { why: 'kept' }, droppedAttributesCount: 0, flags: 0 }],
    });
    const spans = [zeroTrace, valid, zeroSpan, zeroLink];
    for (const [format, decoded] of [
      ['protobuf', decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(withSpans(spans)))],
      ['JSON', decodeTraceRequestJson(encodeTraceRequestJson(withSpans(spans)))],
    ] as const) {
      assert.equal(decoded.rejectedSpans, 2, format);
      assert.deepStrictEqual(decoded.resourceSpans[0].scopeSpans[0].spans, [valid, zeroLink], format);
      assert.equal(
        decoded.errorMessage,
        'rejected 2 spans, first: resourceSpans[0].scopeSpans[0].spans[0].traceId is all zeros, which OTLP defines as invalid',
        format,
      );
    }
    assert.equal(
      decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(withSpans([zeroSpan]))).errorMessage,
      'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[0].spanId is all zeros, which OTLP defines as invalid',
    );
  });

  test('a span without ids is rejected', () => {
    const decoded = decodeTraceRequestJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"anonymous"}]}]}]}');
    assert.equal(decoded.rejectedSpans, 1);
    assert.deepStrictEqual(decoded.resourceSpans[0].scopeSpans[0].spans, []);
  });
});
