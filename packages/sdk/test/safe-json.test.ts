import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotJson, snapshotValue } from '../src/snapshot/safe-json.js';
import { captureText, truncate } from '../src/snapshot/capture-text.js';

test('scalars are written as JSON would, and values JSON cannot hold get a readable form', () => {
  assert.equal(snapshotJson('a "quoted" text'), '"a \\"quoted\\" text"');
  assert.equal(snapshotJson(12.5), '12.5');
  assert.equal(snapshotJson(false), 'false');
  assert.equal(snapshotJson(undefined), 'null');
  assert.equal(snapshotJson(null), 'null');
  assert.equal(snapshotJson(10n ** 20n), '"100000000000000000000"');
  assert.equal(snapshotJson(Number.NaN), '"NaN"');
  assert.equal(snapshotJson(-Infinity), '"-Infinity"');
  assert.equal(snapshotJson(Symbol('s')), '"Symbol(s)"');
  assert.equal(snapshotJson(new Uint8Array([1, 2, 3])), '"AQID"');
  assert.equal(snapshotJson(/ab+c/i), '"/ab+c/i"');
  assert.equal(snapshotJson(new Date(Number.NaN)), '"Invalid Date"');
});

test('a shared object is not a cycle; a real cycle is marked where it closes', () => {
  const shared = { v: 1 };
  assert.deepEqual(snapshotValue({ a: shared, b: shared }), { a: { v: 1 }, b: { v: 1 } });
  const list: unknown[] = [1];
  list.push(list);
  assert.deepEqual(snapshotValue(list), [1, '[Circular]']);
});

test('maps with text keys become objects, other maps pairs; sets arrays; toJSON is honoured', () => {
  assert.deepEqual(
    snapshotValue(
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
    ),
    { a: 1, 2: 'b' },
  );
  assert.deepEqual(snapshotValue(new Map([[{ k: 1 }, 'v']])), [[{ k: 1 }, 'v']]);
  assert.deepEqual(snapshotValue(new Set([1, 1, 2])), [1, 2]);
  assert.deepEqual(snapshotValue({ toJSON: () => ({ replaced: true }) }), { replaced: true });
  const selfish = {
    x: 1,
    toJSON() {
      return this;
    },
  };
  assert.deepEqual(snapshotValue(selfish), { x: 1, toJSON: '[Function toJSON]' });
});

test('undefined fields are left out of objects and written as null in arrays', () => {
  assert.equal(snapshotJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.equal(snapshotJson([undefined, 1]), '[null,1]');
});

test('limits bound depth, string length, array length and key count', () => {
  const limits = { maxDepth: 2, maxStringLength: 4, maxArrayLength: 2, maxObjectKeys: 2 };
  assert.deepEqual(snapshotValue({ a: { b: { c: 1 } } }, limits), { a: { b: '[MaxDepth]' } });
  assert.equal(snapshotValue('abcdefgh', limits), 'abcd…');
  assert.deepEqual(snapshotValue([1, 2, 3, 4], limits), [1, 2, '[… 2 more]']);
  assert.deepEqual(snapshotValue({ a: 1, b: 2, c: 3 }, limits), { a: 1, b: 2, '…': '1 more keys' });
  // A surrogate pair is never cut in half.
  assert.equal(snapshotValue('abc😀', limits), 'abc…');
});

test('proxies and objects whose every access throws never make it throw', () => {
  const hostile = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('no keys for you');
      },
    },
  );
  assert.equal(snapshotJson(hostile), '"[Unserializable]"');
  assert.equal(snapshotJson({ inner: hostile }), '{"inner":"[Unserializable]"}');
});

test('capture text: strings as they are, the rest as JSON; cut at the limit with an ellipsis', () => {
  assert.deepEqual(captureText('hello'), { text: 'hello', mimeType: 'text/plain' });
  assert.deepEqual(captureText({ a: 1n }), { text: '{"a":"1"}', mimeType: 'application/json' });
  const long = captureText('y'.repeat(5001));
  assert.equal(long.text.length, 5001);
  assert.equal(long.text.slice(0, 5000), 'y'.repeat(5000));
  assert.equal(captureText('y'.repeat(5000)).text.length, 5000, 'exactly at the limit: untouched');
  assert.equal(truncate('ab😀', 3), 'ab…');
});
