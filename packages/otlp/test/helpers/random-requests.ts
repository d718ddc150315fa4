import type { AttributeValue, Attributes, ResourceSpans, Span, SpanEvent, SpanLink } from '@decision-trace/model';
import { bigIntToLongHalves } from '../../src/int64.js';
import { ExportTraceServiceRequestType } from '../../src/proto-root.js';
import type { WireAnyValue, WireKeyValue, WireResourceSpans, WireScopeSpans, WireSpan } from '../../src/wire-messages.js';

/**
 * Seeded random OTLP trace requests for comparing decoders: model-shaped ones for the repo's
 * encoder, and wire-shaped ones encoded by protobufjs directly, which can also leave
 * sub-messages out, send a KeyValue without a value or an AnyValue with several members.
 */

export type Random = () => number;

/** mulberry32: small, seedable, good enough to pick test data. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function integer(random: Random, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[integer(random, items.length)];
}

const STRINGS = [
  '',
  'a',
  'GET',
  'http.request.method',
  'héllo wörld',
  '✓ 日本語 🎉',
  'replacement \uFFFD on the wire',
  '\uFEFFstarts with a byte order mark',
  'a string well over sixty-four bytes long, so it is not served from the short-string cache',
  '__proto__',
  'constructor',
  'toString',
];

function randomString(random: Random): string {
  if (random() < 0.6) return pick(random, STRINGS);
  const length = integer(random, 80);
  let text = '';
  for (let i = 0; i < length; i++) {
    // Mostly ASCII, sometimes Latin-1, BMP or astral characters.
    const kind = random();
    if (kind < 0.85) text += String.fromCharCode(32 + integer(random, 95));
    else if (kind < 0.93) text += String.fromCharCode(0xa0 + integer(random, 0x60));
    else if (kind < 0.98) text += String.fromCharCode(0x3040 + integer(random, 0x1000));
    else text += String.fromCodePoint(0x1f300 + integer(random, 0x200));
  }
  return text;
}

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = integer(random, 256);
  return bytes;
}

function randomHex(random: Random, bytes: number): string {
  return Buffer.from(randomBytes(random, bytes)).toString('hex');
}

/** Mostly the right length; sometimes empty or wrong, which gets spans rejected. */
function randomId(random: Random, bytes: number): string {
  const roll = random();
  if (roll < 0.9) return randomHex(random, bytes);
  if (roll < 0.95) return '';
  return randomHex(random, 1 + integer(random, 20));
}

function randomUint64(random: Random): bigint {
  switch (integer(random, 5)) {
    case 0:
      return 0n;
    case 1:
      return 0xffffffffffffffffn;
    case 2:
      return BigInt(integer(random, 2 ** 31));
    default:
      // A realistic nanosecond timestamp, above 2^53.
      return 1_700_000_000_000_000_000n + BigInt(integer(random, 2 ** 50));
  }
}

function randomInt64(random: Random): number | bigint {
  switch (integer(random, 9)) {
    case 0:
      return 0;
    case 1:
      return integer(random, 128);
    case 2:
      return integer(random, 2 ** 28);
    case 3:
      return integer(random, 2 ** 31) * 4096; // safe, but past the four-byte varint
    case 4:
      return -1 - integer(random, 2 ** 40);
    case 5:
      return Number.MAX_SAFE_INTEGER;
    case 6:
      return -(2n ** 53n);
    case 7:
      return 2n ** 53n + BigInt(integer(random, 1000));
    default:
      return pick(random, [2n ** 63n - 1n, -(2n ** 63n)]);
  }
}

function randomAttributeValue(random: Random, depth: number): AttributeValue {
  switch (integer(random, depth < 3 ? 10 : 8)) {
    case 0:
    case 1:
      return randomString(random);
    case 2:
      return randomInt64(random);
    case 3:
      return random() < 0.5;
    case 4:
      return pick(random, [0.5, -1.25, 1e300, Number.NaN, Number.POSITIVE_INFINITY, random() * 1000 + 0.001]);
    case 5:
      return randomBytes(random, integer(random, 12));
    case 6:
      return null;
    case 7:
      return randomString(random);
    case 8: {
      const values: AttributeValue[] = [];
      for (let i = integer(random, 5); i > 0; i--) values.push(randomAttributeValue(random, depth + 1));
      return values;
    }
    default:
      return randomAttributes(random, depth + 1, 4);
  }
}

function randomAttributes(random: Random, depth: number, most: number): Attributes {
  const attributes: Attributes = {};
  for (let i = integer(random, most + 1); i > 0; i--) {
    const key = randomString(random);
    const value = randomAttributeValue(random, depth);
    if (key === '__proto__') Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
    else attributes[key] = value;
  }
  return attributes;
}

function randomCount(random: Random): number {
  return pick(random, [0, 0, 1, 7, 300, 2 ** 32 - 1]);
}

function randomEvent(random: Random): SpanEvent {
  return {
    timeUnixNano: randomUint64(random),
    name: randomString(random),
    attributes: randomAttributes(random, 0, 3),
    droppedAttributesCount: randomCount(random),
  };
}

function randomLink(random: Random): SpanLink {
  return {
    traceId: randomId(random, 16),
    spanId: randomId(random, 8),
    traceState: randomString(random),
    attributes: randomAttributes(random, 0, 3),
    droppedAttributesCount: randomCount(random),
    flags: pick(random, [0, 1, 0x301, 2 ** 32 - 1]),
  };
}

function randomSpan(random: Random): Span {
  const events: SpanEvent[] = [];
  for (let i = integer(random, 3); i > 0; i--) events.push(randomEvent(random));
  const links: SpanLink[] = [];
  for (let i = integer(random, 3); i > 0; i--) links.push(randomLink(random));
  return {
    traceId: randomId(random, 16),
    spanId: randomId(random, 8),
    parentSpanId: random() < 0.3 ? '' : randomId(random, 8),
    traceState: randomString(random),
    flags: pick(random, [0, 1, 0x301, 2 ** 32 - 1]),
    name: randomString(random),
    kind: integer(random, 6),
    startTimeUnixNano: randomUint64(random),
    endTimeUnixNano: randomUint64(random),
    attributes: randomAttributes(random, 0, 8),
    droppedAttributesCount: randomCount(random),
    events,
    droppedEventsCount: randomCount(random),
    links,
    droppedLinksCount: randomCount(random),
    status: random() < 0.5 ? { code: 0, message: '' } : { code: integer(random, 3), message: randomString(random) },
  };
}

/** Model-shaped resource spans for `encodeTraceRequestProtobuf`. */
export function randomResourceSpans(random: Random): ResourceSpans[] {
  const resourceSpans: ResourceSpans[] = [];
  for (let r = 1 + integer(random, 2); r > 0; r--) {
    const scopeSpans = [];
    for (let s = 1 + integer(random, 2); s > 0; s--) {
      const spans: Span[] = [];
      for (let i = integer(random, 5); i > 0; i--) spans.push(randomSpan(random));
      scopeSpans.push({
        scope: {
          name: randomString(random),
          version: randomString(random),
          attributes: randomAttributes(random, 0, 3),
          droppedAttributesCount: randomCount(random),
        },
        spans,
        schemaUrl: randomString(random),
      });
    }
    resourceSpans.push({
      resource: { attributes: randomAttributes(random, 0, 5), droppedAttributesCount: randomCount(random) },
      scopeSpans,
      schemaUrl: randomString(random),
    });
  }
  return resourceSpans;
}

// Wire-shaped messages: protobufjs encodes whichever members are set, so an AnyValue can carry
// several (the tuned schema gives each its own oneof) and sub-messages can be left out.

function randomWireAnyValue(random: Random, depth: number): WireAnyValue {
  const value: WireAnyValue = {};
  const members = random() < 0.15 ? 0 : random() < 0.8 ? 1 : 2 + integer(random, 3);
  for (let i = 0; i < members; i++) {
    switch (integer(random, depth < 3 ? 7 : 5)) {
      case 0:
        value.stringValue = randomString(random);
        break;
      case 1: {
        const int = randomInt64(random);
        value.intValue = typeof int === 'bigint' ? bigIntToLongHalves(int) : int;
        break;
      }
      case 2:
        value.boolValue = random() < 0.5;
        break;
      case 3:
        value.doubleValue = pick(random, [0, -0, 2.5, Number.NaN, -1e-300]);
        break;
      case 4:
        value.bytesValue = randomBytes(random, integer(random, 5));
        break;
      case 5: {
        const values: WireAnyValue[] = [];
        for (let k = integer(random, 4); k > 0; k--) values.push(randomWireAnyValue(random, depth + 1));
        value.arrayValue = { values };
        break;
      }
      default:
        value.kvlistValue = { values: randomWireKeyValues(random, depth + 1, 3) };
    }
  }
  return value;
}

function randomWireKeyValues(random: Random, depth: number, most: number): WireKeyValue[] {
  const keyValues: WireKeyValue[] = [];
  for (let i = integer(random, most + 1); i > 0; i--) {
    // Few distinct keys, so the same key comes twice.
    const key = pick(random, ['k', 'key', '', '__proto__', randomString(random)]);
    keyValues.push(random() < 0.1 ? { key } : { key, value: randomWireAnyValue(random, depth) });
  }
  return keyValues;
}

function randomWireSpan(random: Random): WireSpan {
  const span: WireSpan = {
    traceId: random() < 0.9 ? randomBytes(random, 16) : randomBytes(random, integer(random, 20)),
    spanId: random() < 0.9 ? randomBytes(random, 8) : randomBytes(random, integer(random, 10)),
    name: randomString(random),
    startTimeUnixNano: bigIntToLongHalves(randomUint64(random)),
    attributes: randomWireKeyValues(random, 0, 5),
    events: [],
    links: [],
  };
  if (random() < 0.5) span.parentSpanId = randomBytes(random, 8);
  if (random() < 0.3) span.kind = pick(random, [1, 5, 7, -1]);
  if (random() < 0.3) span.status = random() < 0.5 ? {} : { code: integer(random, 3), message: randomString(random) };
  if (random() < 0.3) span.events.push({ name: randomString(random), attributes: randomWireKeyValues(random, 0, 2) });
  if (random() < 0.3) span.links.push({ traceId: randomBytes(random, 16), spanId: randomBytes(random, 8), attributes: [] });
  return span;
}

/** Wire-shaped requests, encoded by protobufjs with the package's schema. */
export function randomWireRequest(random: Random): Uint8Array {
  const resourceSpans: WireResourceSpans[] = [];
  for (let r = integer(random, 3); r > 0; r--) {
    const scopeSpans: WireScopeSpans[] = [];
    for (let s = integer(random, 3); s > 0; s--) {
      const spans: WireSpan[] = [];
      for (let i = integer(random, 3); i > 0; i--) spans.push(randomWireSpan(random));
      scopeSpans.push(random() < 0.3 ? { spans } : { scope: { name: randomString(random), attributes: randomWireKeyValues(random, 0, 2) }, spans });
    }
    resourceSpans.push(random() < 0.3 ? { scopeSpans } : { resource: { attributes: randomWireKeyValues(random, 0, 3) }, scopeSpans });
  }
  return ExportTraceServiceRequestType.encode({ resourceSpans }).finish();
}
