import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/clock.js';
import { TokenBucket } from '../src/rate/token-bucket.js';
import { RateLimiter } from '../src/rate/rate-limiter.js';
import { randomTraceId } from './spans.js';

test('a token bucket holds its rate over 5 s within ±10% (injected clock, 1 ms steps)', () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket(200, 20, clock);
  let admitted = 0;
  for (let ms = 0; ms < 5_000; ms++) {
    // Ten attempts per millisecond: far more demand than the rate allows.
    for (let i = 0; i < 10; i++) if (bucket.tryTake()) admitted++;
    clock.advance(1);
  }
  const expected = 200 * 5 + 20; // the rate for 5 s plus the initial burst
  assert.ok(Math.abs(admitted - expected) <= expected * 0.1, `admitted ${admitted}, expected about ${expected}`);
  assert.ok(admitted <= expected, 'never more than rate × time + burst');
});

test('a token bucket starts full, refills continuously and never beyond its burst', () => {
  const clock = new ManualClock(0);
  const bucket = new TokenBucket(10, 5, clock);
  for (let i = 0; i < 5; i++) assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  clock.advance(100);
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  clock.advance(60_000);
  assert.equal(bucket.available(), 5);
  assert.equal(bucket.tryTake(6), false, 'a request larger than the burst never fits');
});

test('rate limiter, spans mode: each key has its own bucket', () => {
  const clock = new ManualClock(0);
  const limiter = new RateLimiter({ spans_per_second: 2, burst: 2 }, clock);
  const trace = randomTraceId();
  assert.deepEqual([limiter.admit(trace, 'a'), limiter.admit(trace, 'a'), limiter.admit(trace, 'a')], [true, true, false]);
  assert.equal(limiter.admit(trace, 'b'), true);
});

test('rate limiter, traces mode: a trace is admitted once and all its spans follow', () => {
  const clock = new ManualClock(0);
  const limiter = new RateLimiter({ traces_per_second: 1, burst: 1 }, clock);
  const first = randomTraceId();
  const second = randomTraceId();
  assert.equal(limiter.admit(first), true);
  assert.equal(limiter.admit(second), false);
  for (let i = 0; i < 10; i++) assert.equal(limiter.admit(first), true);
  clock.advance(1_000);
  assert.equal(limiter.admit(second), false, 'a refused trace stays refused');
  assert.equal(limiter.admit(randomTraceId()), true);
  assert.throws(() => new RateLimiter({}, clock), /exactly one/);
});
