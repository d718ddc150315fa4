import { parseDuration } from '../config/values.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A query time bound: an RFC 3339 instant, or a duration (`90s`, `1h`, `7d`) meaning that long
 * before `now`. Returns the instant as an RFC 3339 string, or undefined when it is neither.
 */
export function parseTimeBound(value: string, now: number): string | undefined {
  if (RFC3339.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
  const ago = parseDuration(value);
  if (ago === undefined || !/[a-zµ]$/.test(value.trim())) return undefined;
  const instant = now - ago;
  // A duration reaching before the first instant a Date can hold is not a bound (a 400), not a RangeError.
  if (!Number.isFinite(instant) || Math.abs(instant) > MAX_DATE_MILLIS) return undefined;
  return new Date(instant).toISOString();
}

/** ECMAScript's Date range: ±8.64e15 ms around the epoch. */
const MAX_DATE_MILLIS = 8.64e15;
