import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetryableSpanExportFailure } from '../src/export/span-export-failure.js';

function withCode(code: unknown): Error {
  return Object.assign(new Error('export failed'), { code });
}

test('HTTP statuses: only 429, 502, 503 and 504 are retried (the OTLP specification)', () => {
  for (const status of [429, 502, 503, 504]) assert.equal(isRetryableSpanExportFailure(withCode(status)), true, String(status));
  for (const status of [400, 401, 403, 404, 408, 413, 500, 501]) {
    assert.equal(isRetryableSpanExportFailure(withCode(status)), false, String(status));
  }
});

test('gRPC codes: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS are retried', () => {
  for (const code of [1, 4, 10, 11, 14, 15]) assert.equal(isRetryableSpanExportFailure(withCode(code)), true, String(code));
  for (const code of [2, 3, 5, 6, 7, 8, 9, 12, 13, 16]) assert.equal(isRetryableSpanExportFailure(withCode(code)), false, String(code));
});

test('failures without a numeric status (network errors, timeouts, exhausted retries) are retried', () => {
  assert.equal(isRetryableSpanExportFailure(undefined), true);
  assert.equal(isRetryableSpanExportFailure(new Error('Request timed out')), true);
  assert.equal(isRetryableSpanExportFailure(withCode('ECONNREFUSED')), true);
  assert.equal(isRetryableSpanExportFailure(withCode(2.5)), true);
});
