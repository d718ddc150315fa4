import { gzipSync } from 'node:zlib';
import type { AttributeValue, Span } from '@decision-trace/model';
import { decisionSpan, jsonBody, protobufBody } from './otlp-requests.js';

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  contentType: string;
  contentEncoding?: string;
  body: Buffer;
  /** How the body was made, to name a failing case. */
  origin: string;
}

/** Valid spans with every field kind the decoders handle, as seeds for mutation. */
function seedSpans(random: () => number): Span[] {
  const span = decisionSpan({
    attributes: {
      'decision.confidence': 0.7,
      'decision.factors': '{"a":1}',
      'decision.alternatives': ['x', 'y'],
      'decision.evidence.blob': new Uint8Array([1, 2, 3]),
      'decision.evidence.nested': { k: [1, 'two', true] },
      'decision.evidence.big': 2n ** 62n,
      'dt.decision_id': `fuzz-${Math.floor(random() * 1e9)}`,
      'dt.event_type': 'decision.start',
    },
  });
  span.events = [
    {
      timeUnixNano: span.startTimeUnixNano,
      name: 'decision',
      attributes: { 'decision.type': 'tool.select.v1', 'decision.outcome': 'search' },
      droppedAttributesCount: 0,
    },
  ];
  span.links = [{ traceId: span.traceId, spanId: 'aabbccddeeff0011', traceState: 'k=v', attributes: { n: 1 }, droppedAttributesCount: 0, flags: 1 }];
  span.status = { code: 2, message: 'failed' };
  const child = decisionSpan({ traceId: span.traceId });
  child.parentSpanId = span.spanId;
  return [span, child];
}

const int = (random: () => number, below: number) => Math.floor(random() * below);

function mutateBytes(random: () => number, input: Buffer): { body: Buffer; how: string } {
  const bytes = Buffer.from(input);
  const choice = int(random, 8);
  if (bytes.length === 0) return { body: Buffer.from([int(random, 256)]), how: 'one byte' };
  switch (choice) {
    case 0: {
      for (let i = 0, n = 1 + int(random, 8); i < n; i++) bytes[int(random, bytes.length)] ^= 1 << int(random, 8);
      return { body: bytes, how: 'bit flips' };
    }
    case 1: {
      for (let i = 0, n = 1 + int(random, 8); i < n; i++) bytes[int(random, bytes.length)] = int(random, 256);
      return { body: bytes, how: 'byte replacements' };
    }
    case 2:
      return { body: bytes.subarray(0, int(random, bytes.length)), how: 'truncated' };
    case 3: {
      const at = int(random, bytes.length);
      const junk = Buffer.from(Array.from({ length: 1 + int(random, 16) }, () => int(random, 256)));
      return { body: Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]), how: 'inserted junk' };
    }
    case 4: {
      const from = int(random, bytes.length);
      const to = Math.min(bytes.length, from + 1 + int(random, 32));
      return { body: Buffer.concat([bytes.subarray(0, from), bytes.subarray(to)]), how: 'deleted range' };
    }
    case 5: {
      const from = int(random, bytes.length);
      const slice = bytes.subarray(from, from + 1 + int(random, 64));
      return { body: Buffer.concat([bytes, slice, slice]), how: 'duplicated slice' };
    }
    case 6: {
      // Varint-looking runs: huge lengths and field numbers.
      const at = int(random, bytes.length);
      const run = Buffer.alloc(1 + int(random, 10), 0xff);
      return { body: Buffer.concat([bytes.subarray(0, at), run, bytes.subarray(at + run.length)]), how: 'varint run' };
    }
    default:
      return { body: Buffer.from(Array.from({ length: int(random, 512) }, () => int(random, 256))), how: 'random bytes' };
  }
}

const STRANGE_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 64,
  '',
  'NaN',
  '-5',
  '18446744073709551616',
  'ZZ',
  '0x10',
  '\u0000',
  '\ud800',
  '💥'.repeat(50),
  [],
  {},
  [null],
  { stringValue: 5 },
  { intValue: 'x' },
  { arrayValue: { values: [{ kvlistValue: { values: [{}] } }] } },
  { bytesValue: '!!' },
  'a'.repeat(10_000),
];

function mutateJsonValue(random: () => number, node: unknown, depth: number, rate: number): unknown {
  if (depth > 0 && random() < rate) return STRANGE_VALUES[int(random, STRANGE_VALUES.length)];
  if (Array.isArray(node)) {
    const out = node.map((item) => mutateJsonValue(random, item, depth + 1, rate));
    if (out.length > 0 && random() < rate) out.push(out[int(random, out.length)]);
    if (random() < rate) out.length = 0;
    return out;
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (random() < rate) continue;
      const renamed = random() < rate ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
      out[renamed] = mutateJsonValue(random, value, depth + 1, rate);
    }
    if (random() < rate) out[`unknown${int(random, 100)}`] = STRANGE_VALUES[int(random, STRANGE_VALUES.length)];
    return out;
  }
  if (typeof node === 'string' && /^[0-9a-f]+$/i.test(node) && random() < rate * 4) {
    return node.slice(0, int(random, node.length + 4)).toUpperCase();
  }
  return node;
}

/**
 * Random and mutated OTLP bodies: mutated protobuf, structurally and textually mutated JSON,
 * pure noise; some gzip-compressed (after mutation, so they decompress to the mutated body) and
 * some with a corrupted gzip stream.
 */
export function fuzzCase(random: () => number): FuzzCase {
  const spans = seedSpans(random);
  const kind = int(random, 10);
  let fuzz: FuzzCase;
  if (kind < 4) {
    const { body, how } = mutateBytes(random, protobufBody(spans));
    fuzz = { contentType: 'application/x-protobuf', body, origin: `protobuf ${how}` };
  } else if (kind < 7) {
    // Few mutations per body keep many of them decodable, so the pipeline sees odd data too.
    const mutated = mutateJsonValue(random, JSON.parse(jsonBody(spans)), 0, 0.002 + random() * 0.05);
    fuzz = { contentType: 'application/json', body: Buffer.from(JSON.stringify(mutated) ?? 'null'), origin: 'json structure' };
  } else if (kind < 9) {
    const { body, how } = mutateBytes(random, Buffer.from(jsonBody(spans)));
    fuzz = { contentType: 'application/json', body, origin: `json ${how}` };
  } else {
    const { body } = mutateBytes(random, Buffer.alloc(0));
    const noise = Buffer.concat([body, Buffer.from(Array.from({ length: int(random, 2048) }, () => int(random, 256)))]);
    fuzz = { contentType: random() < 0.5 ? 'application/x-protobuf' : 'application/json', body: noise, origin: 'noise' };
  }
  const compression = random();
  if (compression < 0.1) {
    fuzz = { ...fuzz, contentEncoding: 'gzip', body: gzipSync(fuzz.body), origin: `${fuzz.origin}, gzip` };
  } else if (compression < 0.15) {
    const { body } = mutateBytes(random, gzipSync(fuzz.body));
    fuzz = { ...fuzz, contentEncoding: 'gzip', body, origin: `${fuzz.origin}, corrupted gzip` };
  }
  return fuzz;
}

// ---- deep nesting (issue 17): one limit on every input path ----

/** JSON text of `{"k":{"k":…"leaf"…}}`, `levels` objects deep, built without recursion. */
export function nestedObjectJson(levels: number): string {
  return '{"k":'.repeat(levels) + '"leaf"' + '}'.repeat(levels);
}

/** An OTLP/JSON AnyValue: a kvlist `levels` deep (or an array when `array`), as text. */
export function nestedAnyValueJson(levels: number, array = false): string {
  const open = array ? '{"arrayValue":{"values":[' : '{"kvlistValue":{"values":[{"key":"k","value":';
  const close = array ? ']}}' : '}]}}';
  return open.repeat(levels) + '{"stringValue":"leaf"}' + close.repeat(levels);
}

/** The same as an attribute value the OTLP encoders take (only shallow ones: they recurse). */
export function nestedAttributeValue(levels: number, array = false): AttributeValue {
  let value: AttributeValue = 'leaf';
  for (let i = 0; i < levels; i++) value = array ? [value] : { k: value };
  return value;
}

const PLACEHOLDER = 'deep-value-goes-here';

/** A decision span whose attribute `key` is the OTLP/JSON AnyValue text `anyValueJson`, as an OTLP/JSON body. */
export function jsonBodyWithAnyValue(key: string, anyValueJson: string, span: Span = decisionSpan()): string {
  span.attributes[key] = PLACEHOLDER;
  return jsonBody([span]).replace(`{"stringValue":"${PLACEHOLDER}"}`, anyValueJson);
}

export interface DeepCase {
  /** Which path and how deep, to name a failing case. */
  origin: string;
  contentType: string;
  body: Buffer;
  /** Binary protobuf: also sent over gRPC. */
  protobuf: boolean;
}

/**
 * Bodies nesting past the limit on every OTLP input path (a kvlist or array value, JSON text in
 * a string attribute, in either encoding), at the depths of the issue and just past the limit.
 */
export function deepNestingCases(limit: number): DeepCase[] {
  const cases: DeepCase[] = [];
  for (const levels of [limit + 1, 2_000, 5_000]) {
    for (const array of [false, true]) {
      cases.push({
        origin: `OTLP/JSON ${array ? 'array' : 'kvlist'} value ${levels} deep`,
        contentType: 'application/json',
        body: Buffer.from(jsonBodyWithAnyValue('decision.evidence.deep', nestedAnyValueJson(levels, array))),
        protobuf: false,
      });
    }
    for (const key of ['decision.factors', 'decision.alternatives', 'decision.evidence.blob']) {
      const text = key === 'decision.alternatives' ? `[${nestedObjectJson(levels - 1)}]` : nestedObjectJson(levels);
      const span = () => decisionSpan({ attributes: { [key]: text } });
      cases.push({ origin: `protobuf ${key} JSON text ${levels} deep`, contentType: 'application/x-protobuf', body: protobufBody([span()]), protobuf: true });
      cases.push({
        origin: `OTLP/JSON ${key} JSON text ${levels} deep`,
        contentType: 'application/json',
        body: Buffer.from(jsonBody([span()])),
        protobuf: false,
      });
    }
  }
  // Binary protobuf arrays pass protobufjs's recursion limit up to 47 levels.
  cases.push({
    origin: `protobuf array value ${limit + 1} deep`,
    contentType: 'application/x-protobuf',
    body: protobufBody([decisionSpan({ attributes: { 'decision.evidence.deep': nestedAttributeValue(limit + 1, true) } })]),
    protobuf: true,
  });
  return cases;
}
