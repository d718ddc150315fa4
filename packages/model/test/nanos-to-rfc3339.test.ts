import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nanosToRfc3339 } from '../src/instant.js';

/** The conversion written out with Date#toISOString for every call. */
function reference(nanos: bigint): string | null {
  if (nanos <= 0n) return null;
  const millis = nanos / 1_000_000n;
  if (millis > 8_640_000_000_000_000n) return null;
  const base = new Date(Number(millis)).toISOString();
  const sub = Number(nanos % 1_000_000n);
  if (sub === 0) return base;
  const digits = String(sub).padStart(6, '0');
  return `${base.slice(0, -1)}${digits.endsWith('000') ? digits.slice(0, 3) : digits}Z`;
}

test('nanosToRfc3339 gives what Date#toISOString gives, from the epoch to the end of the Date range, asked in any order', () => {
  const nanos = [
    1n,
    999_999n,
    1_000_000n,
    1_000_001n,
    1_714_557_600_000_000_000n,
    1_714_557_600_123_000_000n,
    1_714_557_600_123_456_000n,
    1_714_557_600_999_999_999n,
    1_714_557_601_000_000_000n,
    1_714_557_599_999_000_000n,
    253_402_300_799_999_000_000n, // 9999-12-31T23:59:59.999Z
    253_402_300_800_000_000_000n, // +010000-01-01T00:00:00.000Z
    8_640_000_000_000_000_000_000n,
    8_640_000_000_000_000_999_999n,
    8_640_000_000_000_001_000_000n,
    0n,
    -5n,
  ];
  // Forwards, backwards and interleaved, so that a kept second is never mistaken for another.
  for (const order of [nanos, [...nanos].reverse(), nanos.flatMap((n) => [n, 1_714_557_600_500_000_000n])]) {
    for (const n of order) assert.equal(nanosToRfc3339(n), reference(n), String(n));
  }
  for (let ms = 1_714_557_598_990; ms < 1_714_557_601_010; ms += 7) {
    const n = BigInt(ms) * 1_000_000n + 250_000n;
    assert.equal(nanosToRfc3339(n), reference(n));
  }
});
