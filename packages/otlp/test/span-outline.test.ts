import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractDecisionEvents, LineageIndex, type AttributeValue, type Attributes, type ResourceSpans, type Span } from '@decision-trace/model';
import { makeSpan, makeSpanEvent, makeSpanOutline } from '@decision-trace/model/testing';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf, type DecodedTraceRequest } from '../src/index.js';
import { randomResourceSpans, randomWireRequest, seededRandom, type Random } from './helpers/random-requests.js';

/**
 * `outlineNonDecisionSpans` (#19): a span that cannot hold a decision comes back as its ids
 * only; every other span, the resources, scopes, rejected spans and every error are exactly
 * what the full decode gives.
 */

const OUTLINE_DECODE = { outlineNonDecisionSpans: true };

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
function outcome(body: Uint8Array, options?: typeof OUTLINE_DECODE): DecodedTraceRequest | string {
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
