import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY, retryDelayMillis } from '../src/export/retry-policy.js';
import { parseRetryAfter } from '../src/sinks/http-decision-sink.js';

const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMillis: 100, maxBackoffMillis: 1000, backoffMultiplier: 2 };

test('backoff doubles per failed attempt up to the cap, with ±20% jitter', () => {
  assert.equal(retryDelayMillis(1, policy, undefined, 0.5), 100);
  assert.equal(retryDelayMillis(2, policy, undefined, 0.5), 200);
  assert.equal(retryDelayMillis(3, policy, undefined, 0.5), 400);
  assert.equal(retryDelayMillis(10, policy, undefined, 0.5), 1000);
  assert.equal(retryDelayMillis(1, policy, undefined, 0), 80);
  assert.equal(retryDelayMillis(1, policy, undefined, 0.999999), 120);
});

test("the destination's Retry-After wins over backoff, capped", () => {
  assert.equal(retryDelayMillis(1, policy, 3000, 0.5), 3000);
  assert.equal(retryDelayMillis(4, policy, 0, 0.5), 0);
  assert.equal(retryDelayMillis(1, policy, 10 * 60_000, 0.5), DEFAULT_RETRY_POLICY.maxRetryAfterMillis);
});

test('Retry-After as delay-seconds or an HTTP date', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});
