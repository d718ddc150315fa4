import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import type { Writer } from 'protobufjs';
import { MAX_NESTING_DEPTH, type Attributes, type ResourceSpans } from '@decision-trace/model';
import {
  type DecodedTraceRequest,
  OtlpDecodeError,
  decodeTraceRequestProtobuf,
  encodeTraceRequestProtobuf,
  encodeTraceRequestProtobufReflective,
} from '../src/index.js';
import { bigIntToLongHalves } from '../src/int64.js';
import { makeRichResourceSpans, makeSpan } from './fixtures/model-spans.js';
import { randomResourceSpans, randomWireRequest, seededRandom } from './helpers/random-requests.js';
import { decodeTraceRequestReflective } from './helpers/reflective-decode.js';

const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');

type Outcome = { decoded: DecodedTraceRequest } | { error: string };

function outcome(decode: (body: Uint8Array) => DecodedTraceRequest, body: Uint8Array): Outcome {
  try {
    return { decoded: decode(body) };
  } catch (error) {
    return { error: error instanceof OtlpDecodeError ? error.message : `not an OtlpDecodeError: ${String(error)}` };
  }
}

/** The direct decoder's result or error message equals the reflective decode + walk's. */
function assertSameDecoding(body: Uint8Array, label = ''): Outcome {
  const expected = outcome(decodeTraceRequestReflective, body);
  const actual = outcome(decodeTraceRequestProtobuf, body);
  assert.deepStrictEqual(actual, expected, label);
  return actual;
}

function decoded(body: Uint8Array): DecodedTraceRequest {
  const result = assertSameDecoding(body);
  if ('error' in result) assert.fail(`unexpected decode error: ${result.error}`);
  return result.decoded;
}

function decodeError(body: Uint8Array): string {
  const result = assertSameDecoding(body);
  if (!('error' in result)) assert.fail('expected a decode error');
  return result.error;
}

// Hand-built protobuf bytes.

type Build = (writer: Writer) => void;

const VARINT = 0;
const FIXED64 = 1;
const DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

function bytesOf(build: Build): Uint8Array {
  const writer = protobuf.Writer.create();
  build(writer);
  return writer.finish();
}

function tag(writer: Writer, field: number, wireType: number): Writer {
  return writer.uint32(((field << 3) | wireType) >>> 0);
}

function message(writer: Writer, field: number, build: Build): void {
  tag(writer, field, DELIMITED).fork();
  build(writer);
  writer.ldelim();
}

function text(writer: Writer, field: number, value: string): void {
  tag(writer, field, DELIMITED).string(value);
}

function rawBytes(writer: Writer, field: number, value: Uint8Array | number[]): void {
  tag(writer, field, DELIMITED).bytes(Uint8Array.from(value));
}

/** A 64-bit value for the protobufjs writer, unsigned or two's complement. */
function long(value: bigint): protobuf.Long {
  return { ...bigIntToLongHalves(value), unsigned: value >= 0n };
}

const TRACE_ID = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const SPAN_ID = Buffer.from('b7ad6b7169203331', 'hex');

/** ExportTraceServiceRequest > ResourceSpans > ScopeSpans > Span with valid ids, plus `build`. */
function requestWithSpan(build: Build): Uint8Array {
  return bytesOf((w) =>
    message(w, 1, (w) =>
      message(w, 2, (w) =>
        message(w, 2, (w) => {
          rawBytes(w, 1, TRACE_ID);
          rawBytes(w, 2, SPAN_ID);
          build(w);
        }),
      ),
    ),
  );
}

/** A request whose one span has one attribute, the KeyValue written by `build`. */
function requestWithKeyValue(build: Build): Uint8Array {
  return requestWithSpan((w) => message(w, 9, build));
}

function onlySpan(result: DecodedTraceRequest) {
  assert.equal(result.resourceSpans[0].scopeSpans[0].spans.length, 1);
  return result.resourceSpans[0].scopeSpans[0].spans[0];
}

function onlyAttributes(body: Uint8Array): Attributes {
  return onlySpan(decoded(body)).attributes;
}

/** A KeyValue "k" whose AnyValue is written by `build`. */
function anyValue(build: Build): Uint8Array {
  return requestWithKeyValue((w) => {
    text(w, 1, 'k');
    message(w, 2, build);
  });
}

/** One unknown field of every wire type, a group holding a nested group included. */
function unknownFields(w: Writer): void {
  tag(w, 90, VARINT).uint64(2 ** 40);
  tag(w, 91, FIXED64).fixed64(7);
  tag(w, 92, DELIMITED).bytes(Uint8Array.from([1, 2, 3]));
  tag(w, 93, START_GROUP);
  tag(w, 1, VARINT).uint32(5);
  tag(w, 2, START_GROUP);
  tag(w, 3, FIXED32).fixed32(9);
  tag(w, 2, END_GROUP);
  tag(w, 93, END_GROUP);
  tag(w, 94, FIXED32).fixed32(1);
}

/** A request using most messages and fields; `extra` is written into every message. */
function everyMessage(extra: Build): Uint8Array {
  const keyValue = (w: Writer, field: number, key: string, build: Build) =>
    message(w, field, (w) => {
      extra(w);
      text(w, 1, key);
      message(w, 2, (w) => {
        extra(w);
        build(w);
      });
    });
  return bytesOf((w) => {
    extra(w);
    message(w, 1, (w) => {
      extra(w);
      message(w, 1, (w) => {
        extra(w);
        keyValue(w, 1, 'service.name', (w) => text(w, 1, 'svc'));
        tag(w, 2, VARINT).uint32(3);
      });
      message(w, 2, (w) => {
        extra(w);
        message(w, 1, (w) => {
          extra(w);
          text(w, 1, 'scope');
          text(w, 2, '1.0');
          keyValue(w, 3, 'scope.attr', (w) => tag(w, 2, VARINT).bool(true));
          tag(w, 4, VARINT).uint32(1);
        });
        message(w, 2, (w) => {
          extra(w);
          rawBytes(w, 1, TRACE_ID);
          rawBytes(w, 2, SPAN_ID);
          text(w, 3, 'a=b');
          rawBytes(w, 4, SPAN_ID);
          tag(w, 16, FIXED32).fixed32(0x301);
          text(w, 5, 'span');
          tag(w, 6, VARINT).int32(2);
          tag(w, 7, FIXED64).fixed64(long(1712345678901234567n));
          tag(w, 8, FIXED64).fixed64(long(18446744073709551615n));
          keyValue(w, 9, 'int', (w) => tag(w, 3, VARINT).int64(-5));
          keyValue(w, 9, 'double', (w) => tag(w, 4, FIXED64).double(2.5));
          keyValue(w, 9, 'bytes', (w) => rawBytes(w, 7, [1, 2]));
          keyValue(w, 9, 'array', (w) =>
            message(w, 5, (w) => {
              extra(w);
              message(w, 1, (w) => {
                extra(w);
                text(w, 1, 'element');
              });
            }),
          );
          keyValue(w, 9, 'kvlist', (w) =>
            message(w, 6, (w) => {
              extra(w);
              keyValue(w, 1, 'inner', (w) => tag(w, 3, VARINT).int64(1));
            }),
          );
          tag(w, 10, VARINT).uint32(4);
          message(w, 11, (w) => {
            extra(w);
            tag(w, 1, FIXED64).fixed64(99);
            text(w, 2, 'event');
            keyValue(w, 3, 'event.attr', (w) => text(w, 1, 'x'));
            tag(w, 4, VARINT).uint32(2);
          });
          tag(w, 12, VARINT).uint32(5);
          message(w, 13, (w) => {
            extra(w);
            rawBytes(w, 1, TRACE_ID);
            rawBytes(w, 2, SPAN_ID);
            text(w, 3, 'c=d');
            keyValue(w, 4, 'link.attr', (w) => text(w, 1, 'y'));
            tag(w, 5, VARINT).uint32(6);
            tag(w, 6, FIXED32).fixed32(1);
          });
          tag(w, 14, VARINT).uint32(7);
          message(w, 15, (w) => {
            extra(w);
            text(w, 2, 'failed');
            tag(w, 3, VARINT).int32(2);
          });
        });
        text(w, 3, 'https://scope.schema');
      });
      text(w, 3, 'https://resource.schema');
    });
  });
}

describe('direct protobuf decoder: same result as protobufjs reflective decode + normalization', () => {
  test('requests from the repo encoder with random content', () => {
    const random = seededRandom(20240601);
    let spans = 0;
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const result = decoded(encodeTraceRequestProtobuf(randomResourceSpans(random)));
      for (const resource of result.resourceSpans) for (const scope of resource.scopeSpans) spans += scope.spans.length;
      rejected += result.rejectedSpans;
    }
    // The comparison covered a real mix of kept and rejected spans.
    assert.ok(spans > 500, `only ${spans} spans`);
    assert.ok(rejected > 50, `only ${rejected} rejected spans`);
  });

  test('protobufjs-encoded requests with missing sub-messages, valueless keys and multi-member AnyValues', () => {
    const random = seededRandom(77);
    for (let i = 0; i < 300; i++) decoded(randomWireRequest(random));
  });

  test('trace ids repeated, alternating and differing in one byte anywhere, within and across requests', () => {
    const base = '5b8efff798038103d269b633813fc60c';
    const variants = [base];
    for (let i = 0; i < 32; i += 3) variants.push(base.slice(0, i) + (base[i] === '0' ? '1' : '0') + base.slice(i + 1));
    const order = [0, 0, 1, 0, 2, 2, 3, 0, ...variants.map((_, i) => i), 0];
    const body = (ids: number[]) =>
      encodeTraceRequestProtobuf([
        {
          resource: { attributes: {}, droppedAttributesCount: 0 },
          scopeSpans: [
            {
              scope: { name: 's', version: '', attributes: {}, droppedAttributesCount: 0 },
              spans: ids.map((i) => makeSpan({ traceId: variants[i] })),
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ]);
    for (const ids of [order, [0], [1, 1], order.slice().reverse()]) {
      const spans = decoded(body(ids)).resourceSpans[0].scopeSpans[0].spans;
      assert.deepStrictEqual(
        spans.map((span) => span.traceId),
        ids.map((i) => variants[i]),
      );
    }
  });

  test('the rich fixture decodes to its input', () => {
    const input = makeRichResourceSpans();
    assert.deepStrictEqual(decoded(encodeTraceRequestProtobuf(input)), { resourceSpans: input, rejectedSpans: 0, errorMessage: '' });
  });

  test('a Uint8Array body that is a view into a larger buffer', () => {
    const body = encodeTraceRequestProtobuf(makeRichResourceSpans());
    const backing = new Uint8Array(body.length + 13);
    backing.set(body, 5);
    const view = backing.subarray(5, 5 + body.length);
    assert.ok(!Buffer.isBuffer(view));
    assert.deepStrictEqual(decoded(view).resourceSpans, makeRichResourceSpans());
  });

  test('unknown fields of every wire type are skipped in every message', () => {
    const plain = decoded(everyMessage(() => {}));
    assert.equal(onlySpan(plain).status.message, 'failed');
    assert.deepStrictEqual(decoded(everyMessage(unknownFields)), plain);
  });

  test('a known field with an unexpected wire type is skipped like an unknown one', () => {
    const span = onlySpan(
      decoded(
        requestWithSpan((w) => {
          text(w, 5, 'kept');
          tag(w, 5, VARINT).uint32(1); // name as a varint
          tag(w, 6, DELIMITED).bytes(Uint8Array.from([2])); // kind as bytes
          tag(w, 7, VARINT).uint32(12); // start time as a varint
          tag(w, 9, FIXED32).fixed32(3); // attributes as a fixed32
          tag(w, 16, VARINT).uint32(1); // flags as a varint
          message(w, 15, (w) => tag(w, 2, VARINT).uint32(1)); // status message as a varint
        }),
      ),
    );
    assert.equal(span.name, 'kept');
    assert.equal(span.kind, 0);
    assert.equal(span.startTimeUnixNano, 0n);
    assert.deepStrictEqual(span.attributes, {});
    assert.equal(span.flags, 0);
    assert.deepStrictEqual(span.status, { code: 0, message: '' });
  });

  test('fields in any order', () => {
    const inOrder = onlySpan(
      decoded(
        requestWithSpan((w) => {
          text(w, 5, 'n');
          tag(w, 7, FIXED64).fixed64(5);
          message(w, 9, (w) => {
            text(w, 1, 'k');
            message(w, 2, (w) => text(w, 1, 'v'));
          });
        }),
      ),
    );
    const reversed = bytesOf((w) =>
      message(w, 1, (w) =>
        message(w, 2, (w) =>
          message(w, 2, (w) => {
            message(w, 9, (w) => {
              message(w, 2, (w) => text(w, 1, 'v'));
              text(w, 1, 'k');
            });
            tag(w, 7, FIXED64).fixed64(5);
            text(w, 5, 'n');
            rawBytes(w, 2, SPAN_ID);
            rawBytes(w, 1, TRACE_ID);
          }),
        ),
      ),
    );
    assert.deepStrictEqual(onlySpan(decoded(reversed)), inOrder);
    assert.deepStrictEqual(inOrder.attributes, { k: 'v' });
  });

  test('a scalar that appears twice keeps the last value, an empty one included', () => {
    const span = onlySpan(
      decoded(
        requestWithSpan((w) => {
          text(w, 5, 'first');
          text(w, 5, 'second');
          text(w, 3, 'state');
          text(w, 3, '');
          tag(w, 7, FIXED64).fixed64(5);
          tag(w, 7, FIXED64).fixed64(0);
          tag(w, 6, VARINT).int32(3);
          tag(w, 6, VARINT).int32(-1);
          rawBytes(w, 4, SPAN_ID);
          rawBytes(w, 4, []);
        }),
      ),
    );
    assert.equal(span.name, 'second');
    assert.equal(span.traceState, '');
    assert.equal(span.startTimeUnixNano, 0n);
    assert.equal(span.kind, -1);
    assert.equal(span.parentSpanId, '');
  });

  test('a sub-message that appears twice is merged', () => {
    const body = bytesOf((w) =>
      message(w, 1, (w) => {
        message(w, 1, (w) => {
          message(w, 1, (w) => text(w, 1, 'a'));
          tag(w, 2, VARINT).uint32(1);
        });
        message(w, 2, (w) => {
          message(w, 1, (w) => {
            text(w, 1, 'scope');
            text(w, 2, 'v1');
          });
          message(w, 2, (w) => {
            rawBytes(w, 1, TRACE_ID);
            rawBytes(w, 2, SPAN_ID);
            message(w, 15, (w) => {
              text(w, 2, 'message');
              tag(w, 3, VARINT).int32(1);
            });
            message(w, 15, (w) => tag(w, 3, VARINT).int32(2));
          });
          message(w, 1, (w) => text(w, 2, 'v2'));
        });
        message(w, 1, (w) => message(w, 1, (w) => text(w, 1, 'b')));
      }),
    );
    const [resourceSpans] = decoded(body).resourceSpans;
    assert.deepStrictEqual(resourceSpans.resource, { attributes: { a: null, b: null }, droppedAttributesCount: 1 });
    assert.deepStrictEqual(resourceSpans.scopeSpans[0].scope, { name: 'scope', version: 'v2', attributes: {}, droppedAttributesCount: 0 });
    assert.deepStrictEqual(resourceSpans.scopeSpans[0].spans[0].status, { code: 2, message: 'message' });
  });

  test("a KeyValue's value that appears twice is merged as one AnyValue", () => {
    const twoValues = (first: Build, second: Build) =>
      onlyAttributes(
        requestWithKeyValue((w) => {
          text(w, 1, 'k');
          message(w, 2, first);
          message(w, 2, second);
          text(w, 1, 'key');
        }),
      ).key;
    assert.equal(
      twoValues(
        (w) => text(w, 1, 'x'),
        (w) => tag(w, 3, VARINT).int64(5),
      ),
      'x',
    );
    assert.equal(
      twoValues(
        (w) => tag(w, 3, VARINT).int64(5),
        (w) => text(w, 1, 'y'),
      ),
      'y',
    );
    assert.deepStrictEqual(
      twoValues(
        (w) => message(w, 5, (w) => message(w, 1, (w) => tag(w, 3, VARINT).int64(1))),
        (w) => message(w, 5, (w) => message(w, 1, (w) => tag(w, 3, VARINT).int64(2))),
      ),
      [1, 2],
    );
    assert.deepStrictEqual(
      twoValues(
        (w) => message(w, 6, (w) => message(w, 1, (w) => text(w, 1, 'a'))),
        (w) =>
          message(w, 6, (w) => {
            message(w, 1, (w) => text(w, 1, 'b'));
            message(w, 1, (w) => {
              text(w, 1, 'a');
              message(w, 2, (w) => tag(w, 2, VARINT).bool(true));
            });
          }),
      ),
      { a: true, b: null },
    );
    assert.equal(
      twoValues(
        (w) => tag(w, 4, FIXED64).double(1.5),
        (w) => tag(w, 4, FIXED64).double(2.5),
      ),
      2.5,
    );
    assert.equal(
      twoValues(
        (w) => tag(w, 4, FIXED64).double(1.5),
        (w) => tag(w, 3, VARINT).int64(7),
      ),
      7,
    );
    assert.equal(
      twoValues(
        (w) => tag(w, 3, VARINT).int64(7),
        (w) => tag(w, 4, FIXED64).double(1.5),
      ),
      7,
    );
  });

  test('an AnyValue with several members: the first of string, int, bool, double, array, kvlist, bytes wins', () => {
    const members: Array<[string, Build]> = [
      ['string', (w) => text(w, 1, 's')],
      ['int', (w) => tag(w, 3, VARINT).int64(3)],
      ['bool', (w) => tag(w, 2, VARINT).bool(true)],
      ['double', (w) => tag(w, 4, FIXED64).double(0.25)],
      ['array', (w) => message(w, 5, (w) => message(w, 1, (w) => text(w, 1, 'e')))],
      ['kvlist', (w) => message(w, 6, (w) => message(w, 1, (w) => text(w, 1, 'x')))],
      ['bytes', (w) => rawBytes(w, 7, [9])],
    ];
    const expected = ['s', 3, true, 0.25, ['e'], { x: null }, new Uint8Array([9])];
    for (let winner = 0; winner < members.length; winner++) {
      for (let other = winner + 1; other < members.length; other++) {
        for (const order of [
          [winner, other],
          [other, winner],
        ]) {
          const value = onlyAttributes(anyValue((w) => order.forEach((m) => members[m][1](w)))).k;
          assert.deepStrictEqual(value, expected[winner], `${members[order[0]][0]} then ${members[order[1]][0]}`);
        }
      }
    }
    // All seven, the same member again later: last wins among equals.
    const allThenString = anyValue((w) => {
      for (const [, build] of members) build(w);
      text(w, 1, 'last');
    });
    assert.equal(onlyAttributes(allThenString).k, 'last');
    assert.deepStrictEqual(onlyAttributes(anyValue((w) => (rawBytes(w, 7, [1]), rawBytes(w, 7, [2])))).k, new Uint8Array([2]));
  });

  test('an AnyValue with no member, a KeyValue without value, a key without a KeyValue key', () => {
    const attributes = onlySpan(
      decoded(
        requestWithSpan((w) => {
          message(w, 9, (w) => {
            text(w, 1, 'empty');
            message(w, 2, () => {});
          });
          message(w, 9, (w) => text(w, 1, 'absent'));
          message(w, 9, (w) => message(w, 2, (w) => text(w, 1, 'no key')));
          message(w, 9, (w) => {
            text(w, 1, 'empties');
            message(w, 2, (w) => message(w, 5, (w) => (message(w, 1, () => {}), message(w, 1, (w) => text(w, 1, '')))));
          });
        }),
      ),
    ).attributes;
    assert.deepStrictEqual(attributes, { empty: null, absent: null, '': 'no key', empties: [null, ''] });
  });

  test('ints: exact numbers, else bigints, whatever the varint length', () => {
    const values: Array<number | bigint> = [0, 1, 127, 128, 2 ** 28 - 1, 2 ** 28, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, -(2 ** 31), -Number.MAX_SAFE_INTEGER];
    const bigints = [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
    for (const value of [...values, ...bigints]) {
      const int64 = long(BigInt(value));
      // Last in the message, so the varint runs up to the message end.
      assert.equal(onlyAttributes(anyValue((w) => tag(w, 3, VARINT).int64(int64))).k, value);
      assert.equal(onlyAttributes(anyValue((w) => (tag(w, 3, VARINT).int64(int64), text(w, 9, 'unknown')))).k, value);
    }
  });

  test('bytes attributes are copies, not views into the body', () => {
    const body = Buffer.from(anyValue((w) => rawBytes(w, 7, [1, 2, 3])));
    const value = onlyAttributes(body).k as Uint8Array;
    body.fill(0);
    assert.deepStrictEqual(value, new Uint8Array([1, 2, 3]));
    assert.ok(!Buffer.isBuffer(value));
  });

  test('the key "__proto__" is an attribute, not a prototype', () => {
    const attributes = onlyAttributes(
      requestWithKeyValue((w) => {
        text(w, 1, '__proto__');
        message(w, 2, (w) => message(w, 6, (w) => message(w, 1, (w) => text(w, 1, 'polluted'))));
      }),
    );
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
    assert.deepStrictEqual(Object.keys(attributes), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('direct protobuf decoder: strings', () => {
  const nameBytes = (bytes: number[]) => requestWithSpan((w) => rawBytes(w, 5, bytes));

  test('invalid UTF-8 fails the body as protobufjs does, short or long, key or value', () => {
    const invalid = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0x61, 0x80, 0x62]];
    for (const bytes of invalid) {
      for (const padded of [bytes, [...Buffer.from('x'.repeat(70)), ...bytes]]) {
        assert.match(decodeError(nameBytes(padded)), /^invalid protobuf: /);
        assert.match(decodeError(requestWithKeyValue((w) => rawBytes(w, 1, padded))), /^invalid protobuf: /);
        assert.match(decodeError(anyValue((w) => rawBytes(w, 1, padded))), /^invalid protobuf: /);
      }
    }
    // A lone surrogate that protobufjs's encoder writes as is (ours writes U+FFFD instead).
    assert.match(decodeError(encodeTraceRequestProtobufReflective(withSpanName('\uD800'))), /^invalid protobuf: /);
  });

  test('a U+FFFD on the wire and a byte order mark are kept', () => {
    for (const name of ['\uFFFD', 'a\uFFFDb', '\uFEFFbom', `${'x'.repeat(70)}\uFFFD`]) {
      assert.equal(onlySpan(decoded(encodeTraceRequestProtobuf(withSpanName(name)))).name, name);
    }
  });

  test('strings that differ in a single byte, anywhere, come back right', () => {
    // Each pair differs at one position only, and the pairs alternate, so a cache that compared
    // less than every byte would hand one string out for the other.
    const attributes: Attributes = {};
    for (let length = 1; length <= 70; length++) {
      for (let position = 0; position < length; position++) {
        const base = 'x'.repeat(length);
        attributes[`a${length}.${position}`] = base;
        attributes[`b${length}.${position}`] = `${base.slice(0, position)}y${base.slice(position + 1)}`;
        attributes[`c${length}.${position}`] = `${base.slice(0, position)}é${base.slice(position + 1)}`;
      }
    }
    const body = encodeTraceRequestProtobuf(withSpanAttributes(attributes));
    for (let round = 0; round < 2; round++) {
      assert.deepStrictEqual(onlySpan(decodeTraceRequestProtobuf(body)).attributes, attributes);
    }
  });

  test('many different strings of one length, decoded twice, come back right', () => {
    // More distinct strings than the short-string cache has slots, so slots are replaced.
    const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i.toString().padStart(5, '0')}`);
    const attributes: Attributes = {};
    for (const key of keys) attributes[key] = `value-${key.slice(4)}`;
    const body = encodeTraceRequestProtobuf(withSpanAttributes(attributes));
    for (let round = 0; round < 2; round++) {
      assert.deepStrictEqual(onlySpan(decodeTraceRequestProtobuf(body)).attributes, attributes);
    }
    const unicode: Attributes = { 'ключ-1': 'значение', 'ключ-2': '值', 'ключ-3': '🎉🎉' };
    assert.deepStrictEqual(onlySpan(decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(withSpanAttributes(unicode)))).attributes, unicode);
  });
});

describe('direct protobuf decoder: bodies that cannot be decoded', () => {
  test('truncated at every byte offset', () => {
    // One ResourceSpans, so every cut falls inside it and none is a valid shorter request.
    const body = encodeTraceRequestProtobuf(makeRichResourceSpans().slice(0, 1));
    for (let end = 1; end < body.length; end++) {
      assert.match(decodeError(body.subarray(0, end)), /^invalid protobuf: /, `cut at ${end}`);
    }
  });

  test('random corruption fails or succeeds exactly as before', () => {
    const random = seededRandom(4242);
    const bodies = [encodeTraceRequestProtobuf(makeRichResourceSpans()), randomWireRequest(random), randomWireRequest(random)];
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.from(bodies[i % bodies.length]);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      }
      if ('error' in assertSameDecoding(body, `mutation ${i}`)) failures++;
    }
    assert.ok(failures > 300 && failures < 2900, `${failures} of 3000 failed`);
  });

  test('nesting past protobufjs recursion limit fails, up to it decodes', () => {
    const nestedArrays = (levels: number) =>
      anyValue((w) => {
        const nest = (w: Writer, level: number): void => {
          if (level === 0) return void text(w, 1, 'bottom');
          message(w, 5, (w) => message(w, 1, (w) => nest(w, level - 1)));
        };
        nest(w, levels);
      });
    // Values nest at most MAX_NESTING_DEPTH levels on every input path (the collector's one
    // limit, checked after the wire decode, which the reflective decoder does not apply)…
    assert.ok(onlyAttributes(nestedArrays(MAX_NESTING_DEPTH)).k);
    const tooDeep = outcome(decodeTraceRequestProtobuf, nestedArrays(MAX_NESTING_DEPTH + 1));
    assert.ok('error' in tooDeep && /attribute "k" nests deeper than 31 levels/.test(tooDeep.error), JSON.stringify(tooDeep).slice(0, 200));
    // …and past protobufjs's recursion limit the wire decoder fails first, as protobufjs does.
    // KeyValue at depth 4, its AnyValue at 5, and two more per level.
    const deepest = Math.floor((protobuf.Reader.recursionLimit - 5) / 2);
    assert.equal(decodeError(nestedArrays(deepest + 1)), 'invalid protobuf: max depth exceeded');
    // Unknown groups nested as deep fail the same way.
    const nestedGroups = requestWithSpan((w) => {
      for (let i = 0; i < 120; i++) tag(w, 50, START_GROUP);
      for (let i = 0; i < 120; i++) tag(w, 50, END_GROUP);
    });
    assert.equal(decodeError(nestedGroups), 'invalid protobuf: max depth exceeded');
  });

  test('bad tags and wire types', () => {
    assert.match(decodeError(requestWithSpan((w) => tag(w, 0, VARINT).uint32(1))), /^invalid protobuf: illegal tag: field number 0/);
    assert.match(decodeError(requestWithSpan((w) => tag(w, 5, 6).uint32(1))), /^invalid protobuf: invalid wire type 6/);
    assert.match(decodeError(requestWithSpan((w) => tag(w, 5, 7))), /^invalid protobuf: invalid wire type 7/);
    assert.match(decodeError(bytesOf((w) => tag(w, 3, END_GROUP))), /^invalid protobuf: invalid wire type 4/);
    assert.match(decodeError(requestWithSpan((w) => tag(w, 50, START_GROUP))), /^invalid protobuf: /);
    assert.match(decodeError(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f])), /^invalid protobuf: /);
    // A span kind whose varint runs past ten bytes.
    const longVarint = [0x0a, 16, 0x12, 14, 0x12, 12, 0x30, ...new Array(10).fill(0xff), 0x01];
    assert.equal(decodeError(Uint8Array.from(longVarint)), 'invalid protobuf: invalid varint encoding');
  });
});

function withSpanName(name: string): ResourceSpans[] {
  return withSpanAttributes({}, name);
}

function withSpanAttributes(attributes: Attributes, name = 'span'): ResourceSpans[] {
  return [
    {
      resource: { attributes: {}, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 's', version: '', attributes: {}, droppedAttributesCount: 0 }, spans: [makeSpan({ name, attributes })], schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
}
