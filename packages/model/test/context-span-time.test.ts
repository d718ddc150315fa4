import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextSpanTimeOfNanos, toContextSpan } from '../src/context-span.js';
import { BASE_TIME_NANOS, MILLI, span, spanId } from './span-builders.js';

/**
 * How stores derived a span time from its nanoseconds before contextSpanTimeOfNanos (the times
 * of stored rows were checked against this): every text it gave a time for must give the same.
 */
function formerTimeOfNanos(nanos: string): string | null {
  if (nanos.length <= 6) return null;
  const millis = Number(nanos.slice(0, -6));
  if (!Number.isSafeInteger(millis) || millis <= 0 || millis > 253_402_300_799_999) return null;
  return new Date(millis).toISOString();
}

/** Now exact: the former millisecond time, extended by the text's last six digits (µs or ns). */
function exactTimeOfNanos(nanos: string): string | null {
  const former = formerTimeOfNanos(nanos);
  const subMillis = nanos.slice(-6);
  if (former === null || !/^\d{6}$/.test(subMillis) || subMillis === '000000') return former;
  return `${former.slice(0, -1)}${subMillis.endsWith('000') ? subMillis.slice(0, 3) : subMillis}Z`;
}

test('contextSpanTimeOfNanos reads every text as stores read it before, now with its sub-millisecond digits', () => {
  const texts = [
    '',
    '123456',
    '1000000',
    '999999',
    '1999999',
    BASE_TIME_NANOS.toString(),
    `000${BASE_TIME_NANOS}`,
    ` ${BASE_TIME_NANOS}`,
    `+${BASE_TIME_NANOS}`,
    `-${BASE_TIME_NANOS}`,
    '1e3000000',
    '1.5000000',
    '0x10000000',
    'not a time',
    '253402300799999999999',
    '253402300800000000000',
    '9007199254740993000000',
    '9'.repeat(400),
    `${BASE_TIME_NANOS}`.replace('4', 'x'),
  ];
  for (const text of texts) assert.equal(contextSpanTimeOfNanos(text), exactTimeOfNanos(text), JSON.stringify(text));
});

test('contextSpanTimeOfNanos: milliseconds that share a cache slot, and seconds interleaved, each keep their own time', () => {
  const base = BASE_TIME_NANOS + 123n * MILLI;
  // 1024 ms apart share a slot; 1000 ms apart share the milliseconds' digits, not the second.
  const offsets = [0n, 1024n, 0n, 2048n, 1000n, 0n, 1n, 1025n, 1n, 86_400_000n, 0n];
  for (const offset of offsets) {
    const nanos = base + offset * MILLI + 456_789n;
    assert.equal(contextSpanTimeOfNanos(nanos.toString()), new Date(Number(nanos / MILLI)).toISOString().replace('Z', '456789Z'), `+${offset} ms`);
  }
});

test('toContextSpan times are the ones contextSpanTimeOfNanos gives their nanoseconds', () => {
  for (const offset of [0n, 1n, 999_999n, 1_000_000n, 1024n * MILLI, 3_600_000n * MILLI]) {
    const context = toContextSpan(
      span({ spanId: spanId(1), startTimeUnixNano: BASE_TIME_NANOS + offset, endTimeUnixNano: BASE_TIME_NANOS + 2n * offset }),
      't',
      null,
    );
    assert.equal(context.start_time, contextSpanTimeOfNanos(context.start_time_unix_nano));
    assert.equal(context.end_time, contextSpanTimeOfNanos(context.end_time_unix_nano));
  }
});
