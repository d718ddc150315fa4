import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { noteIntegralDouble, type AttributeValue, type Attributes, type ReadonlyResourceSpans, type ResourceSpans, type Span } from '@decision-trace/model';
import {
  OTLP_PROTO_DIR,
  TRACE_SERVICE_PROTO_FILE,
  decodeTraceRequestProtobuf,
  encodeTraceRequestProtobuf,
  encodeTraceRequestProtobufReflective,
} from '../src/index.js';
import { describeInvalidSpanIds } from '../src/span-rejections.js';
import { makeRichResourceSpans, makeSpan } from './fixtures/model-spans.js';
import { type Random, randomResourceSpans, seededRandom } from './helpers/random-requests.js';
import { decodeTraceRequestReflective } from './helpers/reflective-decode.js';

// A generic protobufjs view of the wire (no tuned schema, no normalization).
const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
const genericRoot = new protobuf.Root();
genericRoot.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
genericRoot.loadSync(TRACE_SERVICE_PROTO_FILE);
const GenericRequest = genericRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

function wireView(body: Uint8Array): any {
  return GenericRequest.toObject(GenericRequest.decode(body), { longs: String, bytes: String, defaults: false });
}

/** The direct encoder writes exactly the bytes protobufjs writes for the same spans. */
function assertSameBytes(input: ResourceSpans[], label = ''): Uint8Array {
  const direct = encodeTraceRequestProtobuf(input);
  const reference = encodeTraceRequestProtobufReflective(input);
  if (Buffer.compare(Buffer.from(direct), Buffer.from(reference)) !== 0) {
    const at = firstDifference(direct, reference);
    assert.fail(`${label}: bytes differ at ${at} of ${direct.length} / ${reference.length}`);
  }
  return direct;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function request(spans: Span[], resourceAttributes: Attributes = {}): ResourceSpans[] {
  return [
    {
      resource: { attributes: resourceAttributes, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
}

function withAttributes(attributes: Attributes): ResourceSpans[] {
  return request([makeSpan({ attributes })]);
}

/** Spans whose ids the decoders refuse are left out, so a decode gives back every span. */
function keepValidSpans(resourceSpans: ResourceSpans[]): ResourceSpans[] {
  for (const resource of resourceSpans) {
    for (const scope of resource.scopeSpans) scope.spans = scope.spans.filter((span) => describeInvalidSpanIds(span) === undefined);
  }
  return resourceSpans;
}

/** Turns some safe integers into integral doubles (3.0), noted as the decoders note them. */
function addIntegralDoubles(resourceSpans: ResourceSpans[], random: Random): ResourceSpans[] {
  const visit = (container: Attributes | AttributeValue[]): void => {
    for (const key of Object.keys(container)) {
      const index = Array.isArray(container) ? Number(key) : key;
      const value = (container as Record<string | number, AttributeValue>)[index];
      if (typeof value === 'number' && Number.isSafeInteger(value) && random() < 0.5) noteIntegralDouble(container, index, true);
      else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) visit(value);
    }
  };
  const doubles: AttributeValue[] = [3, 0, -7, 2 ** 52];
  for (const resource of resourceSpans) {
    visit(resource.resource.attributes);
    for (const scope of resource.scopeSpans) {
      visit(scope.scope.attributes);
      for (const span of scope.spans) {
        span.attributes['integral.double'] = doubles[Math.floor(random() * doubles.length)];
        noteIntegralDouble(span.attributes, 'integral.double', true);
        visit(span.attributes);
        for (const event of span.events) visit(event.attributes);
        for (const link of span.links) visit(link.attributes);
      }
    }
  }
  return resourceSpans;
}

describe('direct protobuf encoder: the bytes of protobufjs', () => {
  test('random requests with every field and value kind, integral doubles included', () => {
    const random = seededRandom(20261207);
    let spans = 0;
    for (let i = 0; i < 400; i++) {
      const input = addIntegralDoubles(randomResourceSpans(random), random);
      for (const resource of input) for (const scope of resource.scopeSpans) spans += scope.spans.length;
      assertSameBytes(input, `request ${i}`);
    }
    assert.ok(spans > 1000, `only ${spans} spans`);
  });

  test('the rich fixture', () => {
    assertSameBytes(makeRichResourceSpans());
  });

  test('empty strings and zero values everywhere: defaults left out, resource, scope and values still written', () => {
    const empty = makeSpan({
      traceId: '',
      spanId: '',
      name: '',
      kind: 0,
      startTimeUnixNano: 0n,
      endTimeUnixNano: 0n,
      attributes: { '': '', zero: 0, no: false, none: null, nothing: new Uint8Array(0), list: [], map: {} },
    });
    const body = assertSameBytes(request([empty]));
    const wire = wireView(body);
    assert.deepStrictEqual(wire.resourceSpans[0].resource, {});
    assert.deepStrictEqual(wire.resourceSpans[0].scopeSpans[0].scope, {});
    const span = wire.resourceSpans[0].scopeSpans[0].spans[0];
    assert.deepStrictEqual(Object.keys(span), ['attributes']);
    assert.deepStrictEqual(span.attributes, [
      { value: { stringValue: '' } },
      { key: 'zero', value: { intValue: '0' } },
      { key: 'no', value: { boolValue: false } },
      { key: 'none', value: {} },
      { key: 'nothing', value: { bytesValue: '' } },
      { key: 'list', value: { arrayValue: {} } },
      { key: 'map', value: { kvlistValue: {} } },
    ]);
    assertSameBytes([]);
    assert.equal(encodeTraceRequestProtobuf([]).length, 0);
  });

  test('unicode strings of every length around the one-byte-length and native-write limits', () => {
    const alphabet = ['a', 'é', '€', '日', '🎉', '\uFEFF', '\uFFFD'];
    for (const character of alphabet) {
      for (let length = 0; length <= 140; length++) {
        const text = character.repeat(Math.ceil(length / character.length)).slice(0, length - (length % character.length));
        const mixed = `x${text}y`;
        const input = request([makeSpan({ name: text, traceState: mixed, attributes: { [text]: mixed, k: [text] } })]);
        const body = assertSameBytes(input, `${character} × ${length}`);
        assert.deepStrictEqual(decodeTraceRequestProtobuf(body).resourceSpans, input);
      }
    }
  });

  test('messages whose length lands on a varint boundary (127/128, 16383/16384 bytes)', () => {
    for (const target of [120, 127, 128, 129, 16_383, 16_384, 16_385, 2_097_151, 2_097_152]) {
      for (let delta = -8; delta <= 8; delta++) {
        const length = Math.max(0, target + delta);
        // The value is the string alone, then inside a KeyValue, a span, a scope and a resource.
        assertSameBytes(withAttributes({ k: 'v'.repeat(length) }), `string of ${length}`);
        assertSameBytes(request([makeSpan({ name: 'n'.repeat(length) })]), `span name of ${length}`);
      }
    }
  });

  test('ids in upper case, odd-length and not hex are written as Buffer.from(hex, "hex") gives them', () => {
    for (const id of ['5B8EFFF798038103D269B633813FC60C', 'abc', 'zz00', '00zz', 'a', 'ééé', '0'.repeat(64)]) {
      const span = makeSpan({
        traceId: id,
        spanId: id,
        parentSpanId: id,
        links: [{ traceId: id, spanId: id, traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 }],
      });
      assertSameBytes(request([span]), id);
    }
  });

  test('negative enums, the largest counts and flags, 64-bit extremes', () => {
    const span = makeSpan({
      kind: -1,
      status: { code: -3, message: '' },
      flags: 2 ** 32 - 1,
      droppedAttributesCount: 2 ** 32 - 1,
      droppedEventsCount: 1,
      droppedLinksCount: 2 ** 31,
      startTimeUnixNano: 2n ** 64n - 1n,
      endTimeUnixNano: 1n,
      attributes: {
        a: -1,
        b: -(2 ** 31),
        c: 2 ** 32,
        d: -(2 ** 32),
        e: Number.MIN_SAFE_INTEGER,
        f: Number.MAX_SAFE_INTEGER,
        g: 2n ** 63n - 1n,
        h: -(2n ** 63n),
        i: -0.5,
        j: Number.NEGATIVE_INFINITY,
        k: 5e-324,
      },
    });
    assertSameBytes(request([span]));
  });

  test('large arrays, kvlists, strings and requests (the writer grows past its first buffer)', () => {
    const list: AttributeValue[] = Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? i : i % 3 === 1 ? `v${i}` : i + 0.5));
    const map: Attributes = {};
    for (let i = 0; i < 10_000; i++) map[`key.${i}`] = i % 2 === 0 ? true : [i];
    const input = withAttributes({ list, map, text: 'ü'.repeat(1_000_000) });
    const body = assertSameBytes(input);
    assert.ok(body.length > 3_000_000);
    assert.deepStrictEqual(decodeTraceRequestProtobuf(body).resourceSpans, input);

    const spans = Array.from({ length: 20_000 }, (_, i) => makeSpan({ name: `span ${i}`, attributes: { i, 'http.method': 'GET' } }));
    const many = request(spans);
    assert.deepStrictEqual(decodeTraceRequestProtobuf(assertSameBytes(many)).resourceSpans, many);
    // Small again after the big ones.
    assertSameBytes(makeRichResourceSpans());
  });

  test("nesting beyond protobufjs's recursion limit fails as it does, and the next encode is whole", () => {
    let deep: AttributeValue = 'leaf';
    for (let i = 0; i < 120; i++) deep = [deep];
    const input = withAttributes({ deep });
    assert.throws(() => encodeTraceRequestProtobufReflective(input), /max depth exceeded/);
    assert.throws(() => encodeTraceRequestProtobuf(input), /max depth exceeded/);
    // Just inside the limit, both write it.
    let inside: AttributeValue = 'leaf';
    for (let i = 0; i < 45; i++) inside = [inside];
    assertSameBytes(withAttributes({ inside }));
    assertSameBytes(makeRichResourceSpans());
  });
});

describe('direct protobuf encoder: decode(encode(x)) is x', () => {
  test("through protobufjs's reflective decode, hundreds of random requests", () => {
    const random = seededRandom(7_12_2026);
    let spans = 0;
    for (let i = 0; i < 400; i++) {
      const input = keepValidSpans(randomResourceSpans(random));
      for (const resource of input) for (const scope of resource.scopeSpans) spans += scope.spans.length;
      const body = encodeTraceRequestProtobuf(input);
      assert.deepStrictEqual(decodeTraceRequestReflective(body), { resourceSpans: input, rejectedSpans: 0, errorMessage: '' }, `request ${i}`);
    }
    assert.ok(spans > 1000, `only ${spans} spans`);
  });

  test('a double stays a double, an int an int, at any depth (read by a plain protobufjs decode)', () => {
    const attributes: Attributes = { double: 3, int: 3, list: [1, 1], map: { d: 4, i: 4 } };
    noteIntegralDouble(attributes, 'double', true);
    noteIntegralDouble(attributes.list as AttributeValue[], 1, true);
    noteIntegralDouble(attributes.map as Attributes, 'd', true);
    const body = encodeTraceRequestProtobuf(withAttributes(attributes));
    const values = wireView(body).resourceSpans[0].scopeSpans[0].spans[0].attributes;
    assert.deepStrictEqual(values, [
      { key: 'double', value: { doubleValue: 3 } },
      { key: 'int', value: { intValue: '3' } },
      { key: 'list', value: { arrayValue: { values: [{ intValue: '1' }, { doubleValue: 1 }] } } },
      {
        key: 'map',
        value: {
          kvlistValue: {
            values: [
              { key: 'd', value: { doubleValue: 4 } },
              { key: 'i', value: { intValue: '4' } },
            ],
          },
        },
      },
    ]);
    // And our decoder notes them again, so a second hop writes the same bytes.
    const again = encodeTraceRequestProtobuf(decodeTraceRequestProtobuf(body).resourceSpans);
    assert.deepStrictEqual(Buffer.from(again), Buffer.from(body));
  });

  test('ints beyond 2^53 stay exact', () => {
    const attributes: Attributes = { a: 2n ** 53n + 1n, b: -(2n ** 63n), c: 2n ** 63n - 1n, d: -(2n ** 53n) - 3n };
    assert.deepStrictEqual(
      decodeTraceRequestReflective(encodeTraceRequestProtobuf(withAttributes(attributes))).resourceSpans[0].scopeSpans[0].spans[0].attributes,
      attributes,
    );
  });

  test('a lone surrogate is written as U+FFFD, valid UTF-8 that decoders accept', () => {
    for (const text of ['\uD800', 'a\uDC00b', `${'x'.repeat(50)}\uD83D`, `\uDE00${'y'.repeat(80)}`]) {
      const body = encodeTraceRequestProtobuf(request([makeSpan({ name: text, attributes: { [text]: text } })]));
      const expected = Buffer.from(text, 'utf8').toString('utf8');
      const span = decodeTraceRequestProtobuf(body).resourceSpans[0].scopeSpans[0].spans[0];
      assert.equal(span.name, expected);
      assert.deepStrictEqual(span.attributes, { [expected]: expected });
    }
  });

  test('only own attributes are written, in their order: inherited ones are not', () => {
    const attributes = Object.create({ inherited: 'no' }) as Attributes;
    attributes.b = 1;
    attributes.a = 'x';
    attributes['2'] = true;
    const nullPrototype = Object.assign(Object.create(null) as Attributes, { z: 'z', y: [1] });
    const input = withAttributes({ attributes, nullPrototype });
    assertSameBytes(input);
    const decoded = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(input)).resourceSpans[0].scopeSpans[0].spans[0].attributes;
    assert.deepStrictEqual(Object.entries(decoded.attributes as Attributes), [
      ['2', true],
      ['b', 1],
      ['a', 'x'],
    ]);
    assert.deepStrictEqual(Object.entries(decoded.nullPrototype as Attributes), [
      ['z', 'z'],
      ['y', [1]],
    ]);
  });

  test('undefined values are empty AnyValues, as null is', () => {
    const attributes = { gone: undefined, kept: 1 } as unknown as Attributes;
    const span = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(withAttributes(attributes))).resourceSpans[0].scopeSpans[0].spans[0];
    assert.deepStrictEqual(span.attributes, { gone: null, kept: 1 });
  });

  test('read-only input: deeply frozen spans are encoded, and each result is a buffer of its own', () => {
    const deepFreeze = <T>(value: T): T => {
      if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
        for (const inner of Object.values(value)) deepFreeze(inner);
        Object.freeze(value);
      }
      return value;
    };
    const frozen: readonly ReadonlyResourceSpans[] = deepFreeze(makeRichResourceSpans());
    const first = encodeTraceRequestProtobuf(frozen);
    const copy = Buffer.from(first);
    const second = encodeTraceRequestProtobuf(request([makeSpan({ name: 'other' })]));
    assert.deepStrictEqual(Buffer.from(first), copy);
    assert.notEqual(first.buffer, second.buffer);
    assert.deepStrictEqual(Buffer.from(first), Buffer.from(encodeTraceRequestProtobufReflective(makeRichResourceSpans())));
  });
});
