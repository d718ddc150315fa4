import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ReadonlyResourceSpans, ResourceSpans } from '@decision-trace/model';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf, forgetReceivedEncoding, receivedEncodingOf, scopeSpansSubset } from '../src/index.js';
import { recordSdkSpans } from './fixtures/sdk-spans.js';
import { randomWireRequest, seededRandom } from './helpers/random-requests.js';
import { cat, field, varint } from './helpers/wire-builders.js';

const stringAttribute = (key: string, value: string) => field(1, cat(field(1, key), field(2, field(1, value))));
const spanAttribute = (key: string, value: string) => field(9, cat(field(1, key), field(2, field(1, value))));
/** An unknown varint field 99 (a field of a newer proto version, say). */
const UNKNOWN = Buffer.from([...varint((99 << 3) | 0), 1]);

function wireSpan(n: number, ...extra: Uint8Array[]): Uint8Array {
  return field(2, cat(field(1, Buffer.alloc(16, n)), field(2, Buffer.alloc(8, n)), field(5, `span-${n}`), ...extra));
}
function wireRequest(...spans: Uint8Array[]): Uint8Array {
  const scopeSpans = field(2, cat(field(1, field(1, 'scope')), ...spans));
  return field(1, cat(field(1, stringAttribute('service.name', 'checkout')), scopeSpans));
}

/** What forwarding must send: the decode-and-encode of the same data, read back. */
function reference(body: Uint8Array, change: (rs: readonly ReadonlyResourceSpans[]) => readonly ReadonlyResourceSpans[] = (rs) => rs) {
  return decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(change(decodeTraceRequestProtobuf(body).resourceSpans))).resourceSpans;
}
function forwarded(body: Uint8Array, change: (rs: readonly ReadonlyResourceSpans[]) => readonly ReadonlyResourceSpans[] = (rs) => rs): Uint8Array {
  return encodeTraceRequestProtobuf(change(decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans));
}

/** Every other span dropped (new scope and resource objects), and the first kept span renamed (a new span object). */
function dropAndRename(resourceSpans: readonly ReadonlyResourceSpans[]): readonly ReadonlyResourceSpans[] {
  let first = true;
  return resourceSpans.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      ...ss,
      spans: ss.spans
        .filter((_, i) => i % 2 === 0)
        .map((span) => {
          if (!first) return span;
          first = false;
          return { ...span, name: `${span.name} (renamed)` };
        }),
    })),
  }));
}

/** The first scope of each resource given a new name; its other scopes left as they are (the same objects). */
function renameFirstScopes(resourceSpans: readonly ReadonlyResourceSpans[]): readonly ReadonlyResourceSpans[] {
  return resourceSpans.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map((ss, i) => (i === 0 ? { ...ss, scope: { ...ss.scope, name: `${ss.scope.name} (renamed)` } } : ss)),
  }));
}

/**
 * What a sampler or a batch split does with scopeSpansSubset: every other span kept (odd-indexed
 * ones when `odd`), the first kept one of each scope replaced by a renamed copy.
 */
function subsetsWithARename(odd: boolean) {
  return (resourceSpans: readonly ReadonlyResourceSpans[]): readonly ReadonlyResourceSpans[] =>
    resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) =>
        scopeSpansSubset(
          ss,
          ss.spans.filter((_, i) => i % 2 === (odd ? 1 : 0)).map((span, i) => (i === 0 ? { ...span, name: `${span.name} (renamed)` } : span)),
        ),
      ),
    }));
}

describe('forwarding spans in the bytes they were received in', () => {
  let sdkSpans: ReadableSpan[];
  before(async () => {
    sdkSpans = await recordSdkSpans();
  });

  test('an OTel JS SDK request forwarded unchanged is byte-identical to what the SDK sent', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    assert.ok(Buffer.from(forwarded(body)).equals(Buffer.from(body)));
    // Encoding the decoded spans again gives other bytes (the SDK writes zero values, its own
    // attribute order…), so the identity above comes from the kept bytes, not the encoder.
    assert.ok(!Buffer.from(encodeTraceRequestProtobuf(decodeTraceRequestProtobuf(body).resourceSpans)).equals(Buffer.from(body)));
  });

  test('batching requests forwarded unchanged is concatenation of their bodies', () => {
    const a = ProtobufTraceSerializer.serializeRequest(sdkSpans.slice(0, 3))!;
    const b = ProtobufTraceSerializer.serializeRequest(sdkSpans.slice(3))!;
    const merged = [
      ...decodeTraceRequestProtobuf(a, { keepEncoding: true }).resourceSpans,
      ...decodeTraceRequestProtobuf(b, { keepEncoding: true }).resourceSpans,
    ];
    assert.ok(Buffer.from(encodeTraceRequestProtobuf(merged)).equals(cat(a, b)));
  });

  test('spans changed, dropped or split are encoded anew: what arrives is what decode and encode send', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    const sent = decodeTraceRequestProtobuf(forwarded(body, dropAndRename)).resourceSpans;
    assert.deepStrictEqual(sent, reference(body, dropAndRename));
    assert.ok(sent[0].scopeSpans.some((ss) => ss.spans.some((span) => span.name.endsWith('(renamed)'))));
  });

  test('protobufjs requests with repeated keys, several AnyValue members and unusable ids: forwarding sends exactly what decode and encode send', () => {
    const random = seededRandom(19);
    let kept = 0;
    let notKept = 0;
    for (let i = 0; i < 400; i++) {
      const body = randomWireRequest(random);
      assert.deepStrictEqual(decodeTraceRequestProtobuf(forwarded(body)).resourceSpans, reference(body), `request ${i}`);
      assert.deepStrictEqual(decodeTraceRequestProtobuf(forwarded(body, dropAndRename)).resourceSpans, reference(body, dropAndRename), `request ${i}, changed`);
      for (const odd of [false, true]) {
        const change = subsetsWithARename(odd);
        assert.deepStrictEqual(decodeTraceRequestProtobuf(forwarded(body, change)).resourceSpans, reference(body, change), `request ${i}, subsets`);
      }
      assert.deepStrictEqual(
        decodeTraceRequestProtobuf(forwarded(body, renameFirstScopes)).resourceSpans,
        reference(body, renameFirstScopes),
        `request ${i}, first scopes renamed`,
      );
      for (const rs of decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans) {
        for (const ss of rs.scopeSpans) {
          if (receivedEncodingOf(ss)) kept++;
          else notKept++;
        }
      }
    }
    // Both kinds occur, so both paths were compared.
    assert.ok(kept > 50 && notKept > 50, `kept ${kept}, not kept ${notKept}`);
  });

  test('a span with a field the decoder drops: neither its scope nor its resource is forwarded as received', () => {
    const body = wireRequest(wireSpan(1), wireSpan(2, UNKNOWN), wireSpan(3));
    const [rs] = decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans;
    assert.equal(receivedEncodingOf(rs), undefined);
    assert.equal(receivedEncodingOf(rs.scopeSpans[0]), undefined);
    const sent = forwarded(body);
    assert.ok(!Buffer.from(sent).includes(UNKNOWN));
    assert.deepStrictEqual(decodeTraceRequestProtobuf(sent).resourceSpans, reference(body));
  });

  test('an unknown field of a resource is not forwarded; the scopes in it still are, as received', () => {
    const scope = field(2, cat(field(1, field(1, 'scope')), wireSpan(1), wireSpan(2)));
    const body = field(1, cat(field(1, cat(stringAttribute('service.name', 'a'), UNKNOWN)), scope));
    const [rs] = decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans;
    assert.equal(receivedEncodingOf(rs), undefined);
    assert.ok(receivedEncodingOf(rs.scopeSpans[0]));
    const sent = forwarded(body);
    assert.ok(!Buffer.from(sent).includes(UNKNOWN));
    assert.ok(Buffer.from(sent).includes(Buffer.from(scope)));
    assert.deepStrictEqual(decodeTraceRequestProtobuf(sent).resourceSpans, reference(body));
  });

  test('an unknown field of a scope: that scope is encoded anew, the next one forwarded as received', () => {
    const unknownScope = field(2, cat(field(1, cat(field(1, 'scope'), UNKNOWN)), wireSpan(1)));
    const plainScope = field(2, cat(field(1, field(1, 'other')), wireSpan(2)));
    const body = field(1, cat(field(1, stringAttribute('service.name', 'a')), unknownScope, plainScope));
    const [rs] = decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans;
    assert.equal(receivedEncodingOf(rs), undefined);
    assert.equal(receivedEncodingOf(rs.scopeSpans[0]), undefined);
    assert.ok(receivedEncodingOf(rs.scopeSpans[1]));
    const sent = forwarded(body);
    assert.ok(!Buffer.from(sent).includes(UNKNOWN));
    assert.ok(Buffer.from(sent).includes(Buffer.from(plainScope)));
    assert.deepStrictEqual(decodeTraceRequestProtobuf(sent).resourceSpans, reference(body));
  });

  test('an attribute key that comes twice (the last value wins) is not forwarded as received', () => {
    const body = wireRequest(wireSpan(1, spanAttribute('k', 'first'), spanAttribute('k', 'second')), wireSpan(2));
    const [rs] = decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans;
    assert.equal(receivedEncodingOf(rs), undefined);
    assert.equal(receivedEncodingOf(rs.scopeSpans[0]), undefined);
    const sent = decodeTraceRequestProtobuf(forwarded(body)).resourceSpans;
    assert.deepStrictEqual(sent[0].scopeSpans[0].spans[0].attributes, { k: 'second' });
    assert.ok(!Buffer.from(forwarded(body)).includes(Buffer.from('first')));
  });

  test('a request with a rejected span (partial success) forwards neither that span nor its scope or resource as received', () => {
    const badId = field(2, cat(field(1, Buffer.alloc(5, 9)), field(2, Buffer.alloc(8, 9)), field(5, 'bad-id')));
    const body = wireRequest(wireSpan(1), badId);
    const decoded = decodeTraceRequestProtobuf(body, { keepEncoding: true });
    assert.equal(decoded.rejectedSpans, 1);
    assert.equal(receivedEncodingOf(decoded.resourceSpans[0]), undefined);
    assert.equal(receivedEncodingOf(decoded.resourceSpans[0].scopeSpans[0]), undefined);
    const sent = forwarded(body);
    assert.ok(!Buffer.from(sent).includes(Buffer.from('bad-id')));
    assert.deepStrictEqual(decodeTraceRequestProtobuf(sent).resourceSpans, reference(body));
  });

  test('subsets of received scopes (a sampler, a batch split): their unchanged spans go out as received, the others encoded', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    const keepAll = (rs: readonly ReadonlyResourceSpans[]) => rs.map((r) => ({ ...r, scopeSpans: r.scopeSpans.map((ss) => scopeSpansSubset(ss, ss.spans)) }));
    // Every span kept: the scopes' bytes are the SDK's, not our encoder's.
    const whole = forwarded(body, keepAll);
    assert.deepStrictEqual(decodeTraceRequestProtobuf(whole).resourceSpans, reference(body));
    const plain = encodeTraceRequestProtobuf(keepAll(decodeTraceRequestProtobuf(body).resourceSpans));
    assert.ok(!Buffer.from(whole).equals(Buffer.from(plain)));
    const decoded = decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans;
    for (const ss of decoded[0].scopeSpans) assert.ok(Buffer.from(whole).includes(Buffer.from(receivedEncodingOf(ss)!).subarray(2)));
    // Filtered, with a changed span among the kept ones, and a subset of a subset.
    for (const odd of [false, true]) {
      const change = subsetsWithARename(odd);
      assert.deepStrictEqual(decodeTraceRequestProtobuf(forwarded(body, change)).resourceSpans, reference(body, change));
      const twice = (rs: readonly ReadonlyResourceSpans[]) => change(change(rs));
      assert.deepStrictEqual(decodeTraceRequestProtobuf(forwarded(body, twice)).resourceSpans, reference(body, twice));
    }
  });

  test('a subset whose scope was changed, or of a scope whose scope field came twice, is encoded', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    const renamed = (rs: readonly ReadonlyResourceSpans[]) =>
      rs.map((r) => ({
        ...r,
        scopeSpans: r.scopeSpans.map((ss) => ({ ...scopeSpansSubset(ss, ss.spans.slice(1)), scope: { ...ss.scope, name: 'renamed scope' } })),
      }));
    const sent = decodeTraceRequestProtobuf(forwarded(body, renamed)).resourceSpans;
    assert.deepStrictEqual(sent, reference(body, renamed));
    assert.ok(sent[0].scopeSpans.every((ss) => ss.scope.name === 'renamed scope'));
    // scope = 1 twice: the decoder merges both (name from the first, version from the second).
    const twice = field(
      1,
      cat(field(1, stringAttribute('service.name', 'a')), field(2, cat(field(1, field(1, 'scope')), wireSpan(1), field(1, field(2, '2.0')), wireSpan(2)))),
    );
    const firstOnly = (rs: readonly ReadonlyResourceSpans[]) =>
      rs.map((r) => ({ ...r, scopeSpans: r.scopeSpans.map((ss) => scopeSpansSubset(ss, ss.spans.slice(0, 1))) }));
    const merged = decodeTraceRequestProtobuf(forwarded(twice, firstOnly)).resourceSpans;
    assert.deepStrictEqual(merged, reference(twice, firstOnly));
    assert.deepStrictEqual([merged[0].scopeSpans[0].scope.name, merged[0].scopeSpans[0].scope.version], ['scope', '2.0']);
  });

  test('without keepEncoding nothing is kept', () => {
    const [rs] = decodeTraceRequestProtobuf(wireRequest(wireSpan(1))).resourceSpans;
    assert.equal(receivedEncodingOf(rs), undefined);
    assert.equal(receivedEncodingOf(rs.scopeSpans[0]), undefined);
  });

  test('without keepEncoding (no loss tracking) the spans are the same, for requests with losses too, and nothing is kept', () => {
    const random = seededRandom(23);
    const bodies = [wireRequest(wireSpan(1), wireSpan(2, spanAttribute('k', 'a'), spanAttribute('k', 'b')), wireSpan(3, UNKNOWN))];
    for (let i = 0; i < 200; i++) bodies.push(randomWireRequest(random));
    bodies.forEach((body, i) => {
      const plain = decodeTraceRequestProtobuf(body);
      assert.deepStrictEqual(plain, decodeTraceRequestProtobuf(body, { keepEncoding: true }), `request ${i}`);
      for (const rs of plain.resourceSpans) {
        assert.equal(receivedEncodingOf(rs), undefined, `request ${i}`);
        for (const ss of rs.scopeSpans) assert.equal(receivedEncodingOf(ss), undefined, `request ${i}`);
      }
    });
  });

  test('a decode without loss tracking leaves none behind: a repeated key in the next forwarding decode is still seen', () => {
    const repeated = wireRequest(wireSpan(1, spanAttribute('k', 'a'), spanAttribute('k', 'b')));
    decodeTraceRequestProtobuf(repeated);
    const [rs] = decodeTraceRequestProtobuf(repeated, { keepEncoding: true }).resourceSpans;
    assert.equal(receivedEncodingOf(rs.scopeSpans[0]), undefined);
    const [clean] = decodeTraceRequestProtobuf(wireRequest(wireSpan(1)), { keepEncoding: true }).resourceSpans;
    assert.ok(receivedEncodingOf(clean.scopeSpans[0]));
  });

  test('spans changed in place after forgetReceivedEncoding go out changed', () => {
    const body = ProtobufTraceSerializer.serializeRequest(sdkSpans)!;
    const resourceSpans: ResourceSpans[] = decodeTraceRequestProtobuf(body, { keepEncoding: true }).resourceSpans;
    forgetReceivedEncoding(resourceSpans);
    resourceSpans[0].scopeSpans[0].spans[0].name = 'changed in place';
    resourceSpans[0].resource.attributes['host.name'] = 'changed too';
    const sent = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(resourceSpans)).resourceSpans;
    assert.equal(sent[0].scopeSpans[0].spans[0].name, 'changed in place');
    assert.equal(sent[0].resource.attributes['host.name'], 'changed too');
  });
});
