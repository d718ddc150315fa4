import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalQueue } from '../src/arrival-queue.js';

test('ArrivalQueue hands items back oldest first, across its compactions, and undefined when empty', () => {
  const queue = new ArrivalQueue<number>();
  assert.equal(queue.shift(), undefined);
  let next = 0;
  for (let i = 0; i < 10_000; i++) {
    queue.push(i);
    if (i % 3 !== 0) assert.equal(queue.shift(), next++); // taken faster than pushed: it compacts often
  }
  assert.equal(queue.length, 10_000 - next);
  while (queue.length > 0) assert.equal(queue.shift(), next++);
  assert.equal(next, 10_000);
  assert.equal(queue.shift(), undefined);
});
