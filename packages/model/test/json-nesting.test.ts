import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exceedsJsonNesting, exceedsValueNesting, flattenJsonNesting, MAX_NESTING_DEPTH } from '../src/json-nesting.js';
import { extractDecisionEvents } from '../src/from-spans.js';
import { request, span, spanId } from './span-builders.js';

/** Issue 17, defect 1: the one nesting limit and the scans behind it. */

const nested = (levels: number) => '{"k":'.repeat(levels) + '"leaf"' + '}'.repeat(levels);

test('the text scan counts arrays and objects outside strings, on text and on bytes', () => {
  assert.equal(exceedsJsonNesting(nested(MAX_NESTING_DEPTH)), false);
  assert.equal(exceedsJsonNesting(nested(MAX_NESTING_DEPTH + 1)), true);
  assert.equal(exceedsJsonNesting(Buffer.from(nested(MAX_NESTING_DEPTH + 1))), true);
  // Brackets inside strings, escaped quotes included, are text.
  const inString = JSON.stringify({ s: `\\"${'['.repeat(500)}` });
  assert.equal(exceedsJsonNesting(inString), false);
  assert.equal(exceedsJsonNesting(Buffer.from(inString)), false);
  assert.equal(exceedsJsonNesting('[[1],[2],[3]]', 2), false);
  // A million levels: answered without recursion.
  assert.equal(exceedsJsonNesting('['.repeat(1_000_000)), true);
});

test('the value scan walks with its own stack and stops at cycles', () => {
  let deep: unknown = 'leaf';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(exceedsValueNesting(deep), true);
  assert.equal(exceedsValueNesting(JSON.parse(nested(MAX_NESTING_DEPTH))), false);
  assert.equal(exceedsValueNesting(new Uint8Array(4)), false);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(exceedsValueNesting(cyclic), true);
});

test('flattening keeps every byte: the part past the limit becomes its JSON text', () => {
  const text = `{"a":${nested(50)},"b":[1,2]}`;
  const { text: flat, flattened } = flattenJsonNesting(text, 10);
  assert.equal(flattened, 1);
  assert.equal(exceedsJsonNesting(flat, 10), false);
  let value = (JSON.parse(flat) as { a: unknown }).a;
  let depth = 1;
  while (typeof value === 'object' && value !== null) {
    value = (value as { k: unknown }).k;
    depth++;
  }
  assert.equal(depth, 10);
  assert.equal(value, nested(41));
  assert.deepEqual((JSON.parse(flat) as { b: unknown }).b, [1, 2]);
  assert.deepEqual(flattenJsonNesting(text, 100), { text, flattened: 0 });
});

test('decision.factors JSON text past the limit stays text with an invalid_json flag (the in-process path)', () => {
  const events = extractDecisionEvents(request([span({ spanId: spanId(1), attributes: { 'decision.type': 't.v1', 'decision.factors': nested(2_000) } })]));
  assert.equal(events.length, 1);
  assert.equal(events[0]!.payload.factors, nested(2_000), 'kept as the text it was');
  assert.ok(
    JSON.stringify(events).includes(`"code":"invalid_json","field":"factors","detail":"JSON nests deeper than ${MAX_NESTING_DEPTH} levels"`),
    'and flagged',
  );
});
