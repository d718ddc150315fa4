import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, encodeTraceRequestProtobuf } from '../src/index.js';
import { makeSpan } from './fixtures/model-spans.js';

// Issue 14 item 3: 2^53 + 1 must stay exact however OTLP carries it.
const TWO_POW_53_PLUS_1 = 9_007_199_254_740_993n;

function jsonRequest(attribute: string, span: string = '"startTimeUnixNano": "1763800000123456789", "endTimeUnixNano": "1763800000123706789"'): string {
  return `{"resourceSpans": [{"scopeSpans": [{"spans": [{
    "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "name": "n", ${span},
    "attributes": [{"key": "decision.evidence.amount", "value": ${attribute}}]
  }]}]}]}`;
}

function firstSpan<B extends string | Uint8Array>(body: B, decode: (body: B) => ReturnType<typeof decodeTraceRequestJson> = decodeTraceRequestJson) {
  return decode(body).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
}

test('OTLP/JSON intValue beyond 2^53 written as a JSON number is read exactly', () => {
  assert.equal(firstSpan(jsonRequest('{"intValue": 9007199254740993}')).attributes['decision.evidence.amount'], TWO_POW_53_PLUS_1);
  assert.equal(firstSpan(jsonRequest('{"intValue": -9007199254740993}')).attributes['decision.evidence.amount'], -TWO_POW_53_PLUS_1);
  assert.equal(firstSpan(jsonRequest('{"intValue": "9007199254740993"}')).attributes['decision.evidence.amount'], TWO_POW_53_PLUS_1);
  assert.equal(firstSpan(jsonRequest('{"intValue": 120}')).attributes['decision.evidence.amount'], 120, 'safe integers stay numbers');
  const array = firstSpan(jsonRequest('{"arrayValue": {"values": [{"intValue": 9007199254740993}, {"doubleValue": 9007199254740993}]}}')).attributes[
    'decision.evidence.amount'
  ];
  assert.deepEqual(array, [TWO_POW_53_PLUS_1, 9007199254740992], 'a double stays a double');
  assert.throws(() => firstSpan(jsonRequest('{"intValue": 9223372036854775808}')), /signed 64-bit/);
});

test('OTLP/JSON times written as JSON numbers keep their nanoseconds', () => {
  const span = firstSpan(jsonRequest('{"intValue": 1}', '"startTimeUnixNano": 1763800000123456789, "endTimeUnixNano": 1763800000123706789'));
  assert.equal(span.startTimeUnixNano, 1_763_800_000_123_456_789n);
  assert.equal(span.endTimeUnixNano, 1_763_800_000_123_706_789n);
});

test('OTLP protobuf int64 beyond 2^53 and fixed64 nanos decode exactly', () => {
  const span = makeSpan({
    attributes: { 'decision.evidence.amount': TWO_POW_53_PLUS_1, 'decision.evidence.small': 120 },
    startTimeUnixNano: 1_763_800_000_123_456_789n,
    endTimeUnixNano: 1_763_800_000_123_706_789n,
  });
  const body = encodeTraceRequestProtobuf([
    {
      resource: { attributes: {}, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0 }, spans: [span], schemaUrl: '' }],
      schemaUrl: '',
    },
  ]);
  const decoded = firstSpan(body, decodeTraceRequestProtobuf);
  assert.equal(decoded.attributes['decision.evidence.amount'], TWO_POW_53_PLUS_1);
  assert.equal(decoded.attributes['decision.evidence.small'], 120);
  assert.equal(decoded.startTimeUnixNano, 1_763_800_000_123_456_789n);
  assert.equal(decoded.endTimeUnixNano, 1_763_800_000_123_706_789n);
});
