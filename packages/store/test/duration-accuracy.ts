import assert from 'node:assert/strict';
import { DURATION_RELATIVE_ACCURACY } from '../src/index.js';

/** A reported duration is the exact one within the stats' stated relative accuracy (duration-sketch.ts). */
export function assertDurationNear(actual: number | null, exact: number, message?: string): void {
  assert.ok(actual !== null, message);
  assert.ok(
    Math.abs(actual - exact) <= exact * DURATION_RELATIVE_ACCURACY * (1 + 1e-12) + 1e-9,
    `${message ?? 'duration'}: ${actual} is not within ${DURATION_RELATIVE_ACCURACY} of ${exact}`,
  );
}
