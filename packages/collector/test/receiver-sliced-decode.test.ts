import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceSpans } from '@decision-trace/model';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf, OtlpDecodeError } from '@decision-trace/otlp';
import { sliceTraceRequest } from '../src/receivers/otlp/request-slices.js';
import { decodeProtobufInSlices } from '../src/receivers/otlp/sliced-decode.js';
import { seededRandom } from '../../../test/helpers/fuzz-bodies.js';
import { decisionSpan } from '../../../test/helpers/otlp-requests.js';

/** Several resources and scopes of uneven sizes, including an empty scope and an empty resource. */
function unevenRequest(random: () => number): ResourceSpans[] {
  const resources: ResourceSpans[] = [];
  for (let r = 0; r < 4; r++) {
    const scopeSpans = [];
    for (let s = 0; s < (r === 2 ? 0 : 3); s++) {
      const count = s === 1 ? 0 : 1 + Math.floor(random() * 120);
      scopeSpans.push({
        scope: { name: `scope-${r}-${s}`, version: '1', attributes: { n: s }, droppedAttributesCount: 0 },
        spans: Array.from({ length: count }, () => decisionSpan({ attributes: { filler: 'x'.repeat(Math.floor(random() * 400)) } })),
        schemaUrl: `https://schema/${r}/${s}`,
      });
    }
    resources.push({ resource: { attributes: { 'service.name': `svc-${r}` }, droppedAttributesCount: 1 }, scopeSpans, schemaUrl: `https://res/${r}` });
  }
  return resources;
}

describe('decoding a large protobuf request in slices', () => {
  test('gives exactly what decoding it in one go gives, for any slice size', async () => {
    const random = seededRandom(7);
    for (let round = 0; round < 5; round++) {
      const body = Buffer.from(encodeTraceRequestProtobuf(unevenRequest(random)));
      const whole = decodeTraceRequestProtobuf(body);
      for (const sliceBytes of [1, 700, 4096, 20_000, Math.floor(body.length / 3)]) {
        const slices = sliceTraceRequest(body, sliceBytes);
        assert.ok(slices !== undefined && slices.length > 1, `the body is cut (slice size ${sliceBytes})`);
        assert.deepEqual(await decodeProtobufInSlices(body, undefined, sliceBytes), whole, `slice size ${sliceBytes}`);
      }
    }
  });

  test('slices are bounded by the slice size (give or take one span)', () => {
    const body = Buffer.from(encodeTraceRequestProtobuf(unevenRequest(seededRandom(3))));
    const slices = sliceTraceRequest(body, 8 * 1024)!;
    const largestSpan = 1024;
    for (const slice of slices) assert.ok(slice.body.length <= 8 * 1024 + largestSpan + 512, `slice of ${slice.body.length} bytes`);
    assert.ok(slices.length >= Math.floor(body.length / (8 * 1024)));
  });

  test('the event loop runs between slices', async () => {
    const body = Buffer.from(encodeTraceRequestProtobuf(unevenRequest(seededRandom(5))));
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    await decodeProtobufInSlices(body, undefined, 2048);
    clearInterval(ticking);
    assert.ok(turns > 0, 'timers fired while the request was being decoded');
  });

  test('small bodies and broken framing are decoded in one go, with the decoder’s own error', async () => {
    const small = Buffer.from(encodeTraceRequestProtobuf(unevenRequest(seededRandom(1)).slice(0, 1)));
    assert.equal(sliceTraceRequest(small, small.length), undefined);
    const broken = Buffer.concat([Buffer.from(encodeTraceRequestProtobuf(unevenRequest(seededRandom(2)))), Buffer.from([0x0a, 0xff, 0xff, 0x7f])]);
    assert.equal(sliceTraceRequest(broken, 1024), undefined);
    const expected = (() => {
      try {
        decodeTraceRequestProtobuf(broken);
      } catch (error) {
        return error;
      }
      assert.fail('the broken body does not decode');
    })();
    await assert.rejects(
      decodeProtobufInSlices(broken, undefined, 1024),
      (error) => error instanceof OtlpDecodeError && error.message === (expected as Error).message,
    );
  });

  test('a field of the right number but the wrong wire type is left to the decoder', async () => {
    const body = Buffer.concat([Buffer.from(encodeTraceRequestProtobuf(unevenRequest(seededRandom(4)))), Buffer.from([0x08, 0x01])]);
    assert.equal(sliceTraceRequest(body, 1024), undefined);
  });

  test('rejected spans: the partial-success message names the span in the original request', async () => {
    const resources = unevenRequest(seededRandom(9));
    resources[3].scopeSpans[2].spans.push({ ...decisionSpan(), spanId: 'abcd' });
    const body = Buffer.from(encodeTraceRequestProtobuf(resources));
    const whole = decodeTraceRequestProtobuf(body);
    assert.equal(whole.rejectedSpans, 1);
    assert.deepEqual(await decodeProtobufInSlices(body, undefined, 2048), whole);
  });
});
