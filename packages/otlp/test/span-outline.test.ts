import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  extractDecisionEvents,
  LineageIndex,
  type AttributeValue,
  type Attributes,
  type ResourceSpans,
  type ScopeSpans,
  type Span,
} from '@decision-trace/model';
import { makeSpan, makeSpanEvent, makeSpanOutline } from '@decision-trace/model/testing';
import {
  decodeTraceRequestProtobuf,
  encodeTraceRequestJson,
  encodeTraceRequestProtobuf,
  receivedEncodingOf,
  scopeSpansSubset,
  type DecodedTraceRequest,
} from '../src/index.js';
import { randomResourceSpans, randomWireRequest, seededRandom, type Random } from './helpers/random-requests.js';
import { cat, field } from './helpers/wire-builders.js';

/**
 * `outlineNonDecisionSpans` (#19): a span that cannot hold a decision comes back as its ids
 * only; every other span, the resources, scopes, rejected spans and every error are exactly
 * what the full decode gives.
 */

const OUTLINE_DECODE = { outlineNonDecisionSpans: true };
/** Outlines for a pipeline that forwards the received bytes: only in scopes that keep them. */
const FORWARD_DECODE = { keepEncoding: true, outlineNonDecisionSpans: true };
const KEEP_DECODE = { keepEncoding: true };

/** Whether a decoded span may hold a decision (model/src/from-spans.ts), or has links: then it must come whole. */
function comesWhole(span: Span): boolean {
  return 'decision.type' in span.attributes || 'dt.decision_id' in span.attributes || span.events.length > 0 || span.links.length > 0;
}

/** Every span whole or its exact outline, outlines only where allowed; all else equal. Returns how many were outlined. */
function assertOutlined(full: DecodedTraceRequest, outlined: DecodedTraceRequest, label: string): number {
  assert.equal(outlined.rejectedSpans, full.rejectedSpans, label);
  assert.equal(outlined.errorMessage, full.errorMessage, label);
  assert.equal(outlined.resourceSpans.length, full.resourceSpans.length, label);
  let count = 0;
  full.resourceSpans.forEach((rs, r) => {
    const other = outlined.resourceSpans[r];
    assert.deepStrictEqual(other.resource, rs.resource, label);
    assert.equal(other.schemaUrl, rs.schemaUrl, label);
    assert.equal(other.scopeSpans.length, rs.scopeSpans.length, label);
    rs.scopeSpans.forEach((ss, s) => {
      const otherScope = other.scopeSpans[s];
      assert.deepStrictEqual(otherScope.scope, ss.scope, label);
      assert.equal(otherScope.schemaUrl, ss.schemaUrl, label);
      assert.equal(otherScope.spans.length, ss.spans.length, label);
      ss.spans.forEach((span, i) => {
        const got = otherScope.spans[i];
        const where = `${label}, span ${r}/${s}/${i}`;
        if (isDeepStrictEqual(got, span)) return;
        assert.ok(!comesWhole(span), `${where}: a span that may hold a decision was outlined`);
        assert.deepStrictEqual(got, makeSpanOutline(span), where);
        count++;
      });
    });
  });
  return count;
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** The decode's result, or the error message it failed with. */
function outcome(body: Uint8Array, options?: { keepEncoding?: boolean; outlineNonDecisionSpans?: boolean }): DecodedTraceRequest | string {
  try {
    return decodeTraceRequestProtobuf(body, options);
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

function corrupt(random: Random, body: Uint8Array): Uint8Array {
  const bytes = Buffer.from(body);
  if (bytes.length === 0) return bytes;
  const at = Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 4)) {
    case 0:
      return bytes.subarray(0, at);
    case 1:
      bytes[at] = Math.floor(random() * 256);
      return bytes;
    case 2:
      bytes[at] ^= 0x80;
      return bytes;
    default:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(at)]);
  }
}

const resource = (spans: Span[]): ResourceSpans[] => [
  {
    resource: { attributes: { 'service.name': 'refunds' }, droppedAttributesCount: 0 },
    scopeSpans: [{ scope: { name: 'test', version: '1', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
    schemaUrl: '',
  },
];

/** Arrays in arrays: two wire levels each, so the value's nesting is refused before protobuf's recursion limit. */
function nested(levels: number): AttributeValue {
  let value: AttributeValue = 'leaf';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('decoding with span outlines', () => {
  test('random requests: every span whole or its outline, outlines only for spans that cannot hold a decision', () => {
    const random = seededRandom(1919);
    let outlines = 0;
    for (let i = 0; i < 300; i++) {
      const body = encodeTraceRequestProtobuf(randomResourceSpans(random));
      outlines += assertOutlined(decodeTraceRequestProtobuf(body), decodeTraceRequestProtobuf(body, OUTLINE_DECODE), `model request ${i}`);
      const wire = randomWireRequest(random);
      outlines += assertOutlined(decodeTraceRequestProtobuf(wire), decodeTraceRequestProtobuf(wire, OUTLINE_DECODE), `wire request ${i}`);
    }
    assert.ok(outlines > 200, `${outlines} spans outlined`);
  });

  test('damaged requests fail with the same error, or decode as above', () => {
    const random = seededRandom(4242);
    let failures = 0;
    for (let i = 0; i < 1500; i++) {
      const source = i % 2 === 0 ? encodeTraceRequestProtobuf(randomResourceSpans(random)) : randomWireRequest(random);
      const body = corrupt(random, source);
      const full = outcome(body);
      const outlined = outcome(body, OUTLINE_DECODE);
      if (typeof full === 'string') {
        assert.equal(outlined, full, `request ${i}`);
        failures++;
      } else {
        assert.notEqual(typeof outlined, 'string', `request ${i}: ${String(outlined)}`);
        assertOutlined(full, outlined as DecodedTraceRequest, `request ${i}`);
      }
    }
    assert.ok(failures > 300, `${failures} damaged requests failed`);
  });

  test('attribute values nested too deep fail the same way in a span that is outlined otherwise', () => {
    const deepJson = '['.repeat(40) + ']'.repeat(40);
    const cases: Attributes[] = [{ 'deep.list': nested(32) }, { note: deepJson }, { list: ['a', ` ${deepJson}`] }];
    for (const attributes of cases) {
      const body = encodeTraceRequestProtobuf(resource([makeSpan({ name: 'plain' }), makeSpan({ attributes })]));
      const full = outcome(body);
      assert.equal(typeof full, 'string', 'the full decode refuses it');
      assert.equal(outcome(body, OUTLINE_DECODE), full);
    }
    // Shallow enough: outlined, and accepted.
    const body = encodeTraceRequestProtobuf(resource([makeSpan({ attributes: { ok: nested(20), json: '[[["x"]]]' } })]));
    assert.equal(assertOutlined(decodeTraceRequestProtobuf(body), decodeTraceRequestProtobuf(body, OUTLINE_DECODE), 'shallow'), 1);
  });

  test('which spans come whole: decision attributes, events, links; a decision key nested in a value does not count', () => {
    const spans = [
      makeSpan({ attributes: { 'decision.type': 'refund.approve.v2' } }),
      makeSpan({ attributes: { 'dt.decision_id': 'd-1' } }),
      makeSpan({ events: [makeSpanEvent('exception', { 'exception.message': 'boom' })] }),
      makeSpan({ links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 0 }] }),
      makeSpan({ attributes: { 'decision.type': '' } }),
      makeSpan({ attributes: { wrapper: { 'decision.type': 'not an attribute of the span' }, 'decision.outcome': 'approved' } }),
    ];
    const body = encodeTraceRequestProtobuf(resource(spans));
    const full = decodeTraceRequestProtobuf(body).resourceSpans[0].scopeSpans[0].spans;
    const outlined = decodeTraceRequestProtobuf(body, OUTLINE_DECODE).resourceSpans[0].scopeSpans[0].spans;
    assert.deepStrictEqual(outlined.slice(0, 5), full.slice(0, 5));
    assert.deepStrictEqual(outlined[5], makeSpanOutline(full[5]));
  });

  test('the decision events are the same: attributes, span events, dt spans, and lineage through outlined spans', () => {
    const traceId = '5b8efff798038103d269b633813fc60c';
    const ids = ['eee19b7ec3c1b174', '1111111111111111', '2222222222222222', '3333333333333333', '4444444444444444', '5555555555555555'];
    const spans = [
      makeSpan({ traceId, spanId: ids[0], name: 'GET /refunds', attributes: { 'http.request.method': 'GET' } }),
      makeSpan({ traceId, spanId: ids[1], parentSpanId: ids[0], attributes: { 'decision.type': 'refund.approve.v2', 'decision.outcome': 'approved' } }),
      makeSpan({ traceId, spanId: ids[2], parentSpanId: ids[1], name: 'SELECT orders', attributes: { 'db.system': 'postgresql' } }),
      makeSpan({ traceId, spanId: ids[3], parentSpanId: ids[2], attributes: { 'decision.type': 'notify.channel.v1', 'decision.outcome': 'email' } }),
      makeSpan({
        traceId,
        spanId: ids[4],
        parentSpanId: ids[2],
        events: [makeSpanEvent('decision', { 'decision.type': 'fraud.screen.v1', 'decision.outcome': 'clear' })],
      }),
      makeSpan({
        traceId,
        spanId: ids[5],
        parentSpanId: ids[0],
        attributes: { 'dt.decision_id': 'd-42', 'dt.event_type': 'decision.outcome', 'dt.outcome': 'ok' },
      }),
    ];
    const body = encodeTraceRequestProtobuf(resource(spans));
    const full = extractDecisionEvents(decodeTraceRequestProtobuf(body).resourceSpans, { lineage: new LineageIndex() });
    const outlined = extractDecisionEvents(decodeTraceRequestProtobuf(body, OUTLINE_DECODE).resourceSpans, { lineage: new LineageIndex() });
    assert.deepStrictEqual(outlined, full);
    assert.equal(full.length, 4);
    assert.equal(
      full.find((event) => event.decision_type === 'notify.channel.v1')?.parent_decision_id,
      `${traceId}-${ids[1]}`,
      'lineage went through an outlined span',
    );
  });
});

/**
 * The random requests with fewer of what makes spans come whole (events, links) or scopes keep no
 * bytes (keys a plain object inherits, such as `__proto__`, which the decode counts as seen
 * before): so that forwarding outlines occur often.
 */
function plainer(resourceSpans: ResourceSpans[]): ResourceSpans[] {
  const plainKeys = (attributes: Attributes): Attributes => Object.fromEntries(Object.entries(attributes).filter(([key]) => !(key in Object.prototype)));
  return resourceSpans.map((rs) => ({
    ...rs,
    resource: { ...rs.resource, attributes: plainKeys(rs.resource.attributes) },
    scopeSpans: rs.scopeSpans.map((ss) => ({
      ...ss,
      scope: { ...ss.scope, attributes: plainKeys(ss.scope.attributes) },
      spans: ss.spans.map((span, i) => ({ ...span, attributes: plainKeys(span.attributes), ...(i % 3 === 0 ? {} : { events: [], links: [] }) })),
    })),
  }));
}

/** What a sampler or a batch split hands an exporter: subsets of the received scopes (every other span, or the first half). */
function subsets(resourceSpans: readonly ResourceSpans[], pick: (index: number, length: number) => boolean): ResourceSpans[] {
  return resourceSpans.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map(
      (ss) =>
        scopeSpansSubset(
          ss,
          ss.spans.filter((_, i) => pick(i, ss.spans.length)),
        ) as ScopeSpans,
    ),
  }));
}

/**
 * Outlines where the received bytes are kept (a pass-through: an exporter forwards them): the
 * same spans and errors as above, kept bytes for exactly the resources and scopes the full decode
 * keeps them for, an outline only in a scope that keeps its bytes, and what an exporter encodes —
 * the whole request or subsets of its scopes — byte for byte what it encodes from the full decode.
 */
function assertForwardable(full: DecodedTraceRequest, outlined: DecodedTraceRequest, label: string): number {
  const count = assertOutlined(full, outlined, label);
  full.resourceSpans.forEach((rs, r) => {
    const other = outlined.resourceSpans[r];
    assert.deepStrictEqual(receivedEncodingOf(other), receivedEncodingOf(rs), `${label}: resource ${r} keeps the same bytes`);
    rs.scopeSpans.forEach((ss, s) => {
      const otherScope = other.scopeSpans[s];
      assert.deepStrictEqual(receivedEncodingOf(otherScope), receivedEncodingOf(ss), `${label}: scope ${r}/${s} keeps the same bytes`);
      if (receivedEncodingOf(otherScope) === undefined)
        assert.deepStrictEqual(otherScope.spans, ss.spans, `${label}: scope ${r}/${s} keeps no bytes, so no outlines`);
    });
  });
  const encode = (resourceSpans: readonly ResourceSpans[]) => Buffer.from(encodeTraceRequestProtobuf(resourceSpans));
  assert.ok(encode(outlined.resourceSpans).equals(encode(full.resourceSpans)), `${label}: forwarded bytes`);
  for (const pick of [(i: number) => i % 2 === 0, (i: number, n: number) => i < n / 2]) {
    assert.ok(encode(subsets(outlined.resourceSpans, pick)).equals(encode(subsets(full.resourceSpans, pick))), `${label}: forwarded subsets`);
  }
  return count;
}

describe('decoding with span outlines for forwarding (keepEncoding)', () => {
  test('random requests, with repeated keys, several AnyValue members, unknown fields and rejected spans: forwarded bytes are those of the full decode', () => {
    const random = seededRandom(2019);
    let outlines = 0;
    for (let i = 0; i < 300; i++) {
      const spans = randomResourceSpans(random);
      const body = encodeTraceRequestProtobuf(i % 2 === 0 ? spans : plainer(spans));
      outlines += assertForwardable(decodeTraceRequestProtobuf(body, KEEP_DECODE), decodeTraceRequestProtobuf(body, FORWARD_DECODE), `model request ${i}`);
      const wire = randomWireRequest(random);
      outlines += assertForwardable(decodeTraceRequestProtobuf(wire, KEEP_DECODE), decodeTraceRequestProtobuf(wire, FORWARD_DECODE), `wire request ${i}`);
    }
    assert.ok(outlines > 60, `${outlines} spans outlined`);
  });

  test('damaged requests fail with the same error, or forward as above', () => {
    const random = seededRandom(4343);
    let failures = 0;
    for (let i = 0; i < 1500; i++) {
      const source = i % 2 === 0 ? encodeTraceRequestProtobuf(randomResourceSpans(random)) : randomWireRequest(random);
      const body = corrupt(random, source);
      const full = outcome(body, KEEP_DECODE);
      const outlined = outcome(body, FORWARD_DECODE);
      if (typeof full === 'string') {
        assert.equal(outlined, full, `request ${i}`);
        failures++;
      } else {
        assert.notEqual(typeof outlined, 'string', `request ${i}: ${String(outlined)}`);
        assertForwardable(full, outlined as DecodedTraceRequest, `request ${i}`);
      }
    }
    assert.ok(failures > 300, `${failures} damaged requests failed`);
  });

  test('a scope with a loss the outline walk must see is decoded whole; the next scope keeps its outlines', () => {
    // Hand-written wire: each case puts one loss in an otherwise plain span of the first scope.
    const plain = (n: number, ...extra: Uint8Array[]) => wireSpan(n, field(5, `span-${n}`), ...extra);
    const kv = (key: string, ...values: Uint8Array[]) => field(9, cat(field(1, key), ...values.map((v) => field(2, v))));
    const stringValue = (text: string) => field(1, text);
    const boolValue = Buffer.from([0x10, 0x01]);
    const kvlist = (...entries: Uint8Array[]) => field(6, cat(...entries));
    const entry = (key: string, value: Uint8Array) => field(1, cat(field(1, key), field(2, value)));
    const cases: Array<[string, Uint8Array]> = [
      ['a repeated span attribute key', plain(1, kv('k', stringValue('a')), kv('x', stringValue('b')), kv('k', stringValue('c')))],
      ['an AnyValue with two members', plain(1, kv('k', cat(stringValue('a'), boolValue)))],
      ['a key repeated inside a kvlist value', plain(1, kv('k', kvlist(entry('a', stringValue('1')), entry('a', stringValue('2')))))],
      ['an unknown span field', plain(1, Buffer.from([...[0x98, 0x06], 1]))],
      ['a rejected span', field(2, cat(field(1, Buffer.alloc(5, 1)), field(2, Buffer.alloc(8, 1))))],
    ];
    for (const [what, lossy] of cases) {
      const scope = (...spans: Uint8Array[]) => field(2, cat(field(1, field(1, 'scope')), ...spans));
      const body = field(
        1,
        cat(field(1, field(1, cat(field(1, 'service.name'), field(2, stringValue('a'))))), scope(plain(2), lossy, plain(3)), scope(plain(4), plain(5))),
      );
      const full = decodeTraceRequestProtobuf(body, KEEP_DECODE);
      const outlined = decodeTraceRequestProtobuf(body, FORWARD_DECODE);
      assertForwardable(full, outlined, what);
      const [first, second] = outlined.resourceSpans[0].scopeSpans;
      assert.equal(receivedEncodingOf(first), undefined, `${what}: the first scope keeps no bytes`);
      assert.deepStrictEqual(first.spans, full.resourceSpans[0].scopeSpans[0].spans, `${what}: so it is whole`);
      assert.deepStrictEqual(
        second.spans,
        second.spans.map((span) => makeSpanOutline(span)),
        `${what}: the second scope is outlined`,
      );
      assert.notEqual(second.spans[0].name, 'span-4');
    }
    // Not a loss: the same key in two different kvlists, a value's member repeated (the last wins, as protobuf merges).
    const fine = plain(1, kv('k', kvlist(entry('a', stringValue('1')))), kv('j', kvlist(entry('a', stringValue('2')))));
    const body = field(1, field(2, cat(field(1, field(1, 'scope')), fine)));
    const outlined = decodeTraceRequestProtobuf(body, FORWARD_DECODE);
    assert.ok(receivedEncodingOf(outlined.resourceSpans[0].scopeSpans[0]));
    assert.equal(outlined.resourceSpans[0].scopeSpans[0].spans[0].name, '', 'outlined');
  });

  test('a scope whose scope field comes twice is decoded whole (its bytes cannot be written piecewise)', () => {
    const body = field(1, field(2, cat(field(1, field(1, 'scope')), wireSpan(1, field(5, 'one')), field(1, field(2, '2.0')), wireSpan(2, field(5, 'two')))));
    const full = decodeTraceRequestProtobuf(body, KEEP_DECODE);
    const outlined = decodeTraceRequestProtobuf(body, FORWARD_DECODE);
    assertForwardable(full, outlined, 'scope twice');
    assert.deepStrictEqual(
      outlined.resourceSpans[0].scopeSpans[0].spans.map((span) => span.name),
      ['one', 'two'],
    );
  });

  test('the encoders refuse an outline that reaches them without its bytes', () => {
    const body = encodeTraceRequestProtobuf(resource([makeSpan({ name: 'plain' })]));
    const [rs] = decodeTraceRequestProtobuf(body, FORWARD_DECODE).resourceSpans;
    assert.equal(rs.scopeSpans[0].spans[0].name, '', 'outlined');
    // A scope rebuilt without scopeSpansSubset has no bytes to write the outline from.
    const rebuilt = [{ ...rs, scopeSpans: [{ ...rs.scopeSpans[0], spans: [...rs.scopeSpans[0].spans] }] }];
    assert.throws(() => encodeTraceRequestProtobuf(rebuilt), /outline/);
    assert.throws(() => encodeTraceRequestJson(rebuilt), /outline/);
    // As received, or as a subset of the received scope: its bytes.
    assert.ok(Buffer.from(encodeTraceRequestProtobuf([rs])).equals(Buffer.from(body)));
  });
});

/** A span with ids from `n` and the given further fields. */
function wireSpan(n: number, ...extra: Uint8Array[]): Uint8Array {
  return field(2, cat(field(1, Buffer.alloc(16, n)), field(2, Buffer.alloc(8, n)), ...extra));
}
