import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruMap } from '../src/lru-map.js';

test('LruMap forgets the least recently used entry; get and set make an entry the most recent', () => {
  const lru = new LruMap<string, number>(3);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1); // a is now the most recent: b is the oldest
  lru.set('d', 4);
  assert.equal(lru.peek('b'), undefined);
  assert.equal(lru.size, 3);
  lru.set('c', 30); // an update refreshes c: a is the oldest now
  lru.set('e', 5);
  assert.equal(lru.peek('a'), undefined);
  assert.deepEqual(
    ['c', 'd', 'e'].map((k) => lru.peek(k)),
    [30, 4, 5],
  );
  assert.equal(lru.peek('d'), 4, 'peek does not refresh');
  lru.set('f', 6);
  assert.equal(lru.peek('d'), undefined);
  assert.equal(lru.delete('e'), true);
  assert.equal(lru.delete('e'), false);
  lru.set('g', 7);
  lru.set('h', 8);
  assert.equal(lru.size, 3);
  assert.deepEqual(
    ['c', 'f', 'g', 'h'].map((k) => lru.peek(k)),
    [undefined, 6, 7, 8],
  );
});

test('LruMap under churn keeps exactly the capacity most recent keys, and capacity 0 keeps nothing', () => {
  const lru = new LruMap<number, number>(100);
  for (let i = 0; i < 10_000; i++) {
    lru.set(i, i);
    if (i % 3 === 0) lru.get(i - 50); // refresh an older key now and then
    if (i % 11 === 0) lru.delete(i - 5);
  }
  // Replay the same operations on a plain array to know which keys must remain.
  const order: number[] = [];
  const touch = (k: number) => {
    const at = order.indexOf(k);
    if (at !== -1) order.splice(at, 1);
    order.push(k);
  };
  for (let i = 0; i < 10_000; i++) {
    touch(i);
    if (order.length > 100) order.shift();
    if (i % 3 === 0 && order.includes(i - 50)) touch(i - 50);
    if (i % 11 === 0 && order.includes(i - 5)) order.splice(order.indexOf(i - 5), 1);
  }
  assert.equal(lru.size, order.length);
  for (const k of order) assert.equal(lru.peek(k), k);
  const none = new LruMap<string, number>(0);
  none.set('a', 1);
  assert.equal(none.size, 0);
});

test('LruMap as an insertion-ordered map: replace, peek and has keep the order; the oldest is read and removed in order', () => {
  const map = new LruMap<string, number>(); // no capacity: the owner evicts
  for (let i = 0; i < 5000; i++) map.set(`k${i}`, i);
  assert.equal(map.size, 5000);
  assert.equal(map.replace('k0', 100), true, 'an update in place');
  assert.equal(map.replace('absent', 1), false);
  assert.equal(map.has('k1'), true);
  assert.equal(map.peek('k2'), 2);
  assert.equal(map.oldestKey(), 'k0', 'replace, has and peek did not move k0');
  assert.equal(map.oldestValue(), 100);
  map.delete('k1');
  const removed: string[] = [];
  for (let i = 0; i < 3; i++) removed.push(map.deleteOldest()!);
  assert.deepEqual(removed, ['k0', 'k2', 'k3']);
  map.get('k4'); // now the most recent
  assert.equal(map.oldestKey(), 'k5');
  map.clear();
  assert.equal(map.size, 0);
  assert.equal(map.oldestKey(), undefined);
  assert.equal(map.deleteOldest(), undefined);
  map.set('again', 1);
  assert.equal(map.oldestKey(), 'again');
});
