/**
 * Instants at the precision they were given. Records keep timestamps as the text they arrived
 * in (`2026-04-21T14:18:03.123456789Z`) or, from OTLP, as RFC 3339 of the span's exact unix
 * nanoseconds; comparing and subtracting them goes through an exact split into epoch
 * milliseconds and the nanoseconds within the millisecond, never through a rounded double.
 */

/** An instant split so that both parts are exact numbers. */
export interface ExactInstant {
  /** Whole milliseconds since the epoch (what Date.parse gives). */
  millis: number;
  /** Nanoseconds within that millisecond, 0 … 999 999. */
  nanos: number;
}

/** RFC 3339 with a required offset: a zone-less time would be read in the host's zone. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The last texts parsed and their instants (frozen: callers share them). Folding one event
 * into a record asks for the same few times (its timestamp, the record's start and end) about
 * six times; the regular expression and Date.parse were a twentieth of the store worker's time.
 */
const RECENT_INSTANTS = 8;
const recentTexts: (string | undefined)[] = new Array(RECENT_INSTANTS).fill(undefined);
const recentInstants: (ExactInstant | null)[] = new Array(RECENT_INSTANTS).fill(null);
let nextRecentSlot = 0;

/** The instant of an RFC 3339 text, or null. Fraction digits beyond nanoseconds are ignored. */
export function parseExactInstant(value: string): ExactInstant | null {
  for (let i = 0; i < RECENT_INSTANTS; i++) if (recentTexts[i] === value) return recentInstants[i]!;
  const instant = parseInstantText(value);
  recentTexts[nextRecentSlot] = value;
  recentInstants[nextRecentSlot] = instant === null ? null : Object.freeze(instant);
  nextRecentSlot = (nextRecentSlot + 1) % RECENT_INSTANTS;
  return instant;
}

function parseInstantText(value: string): ExactInstant | null {
  const match = RFC3339.exec(value);
  if (match === null) return null;
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) return null;
  const fraction = match[1];
  if (fraction === undefined || fraction.length <= 3) return { millis, nanos: 0 };
  // Date.parse reads the first three digits (and truncates the rest): the rest is sub-millisecond.
  return { millis, nanos: Number(fraction.slice(3, 9).padEnd(6, '0')) };
}

/** Negative, zero or positive as a is before, at or after b (both valid instants). */
export function compareExactInstants(a: ExactInstant, b: ExactInstant): number {
  return a.millis !== b.millis ? a.millis - b.millis : a.nanos - b.nanos;
}

/**
 * end − start in milliseconds, with the sub-millisecond part as a fraction (250 µs → 0.25),
 * rounded to the nanosecond so binary fractions do not show (0.000001 stays 0.000001).
 */
export function exactDurationMillis(start: ExactInstant, end: ExactInstant): number {
  const wholeMillis = end.millis - start.millis;
  const nanos = end.nanos - start.nanos;
  return Math.round(wholeMillis * 1e6 + nanos) / 1e6;
}

/**
 * One spelling of an instant: UTC, with 3, 6 or 9 fraction digits as its precision needs
 * (`2024-05-01T12:00:00.123456+02:00` → `2024-05-01T10:00:00.123456Z`); the text itself when it
 * is no RFC 3339 instant.
 */
export function utcInstantText(value: string): string {
  const instant = parseExactInstant(value);
  if (instant === null) return value;
  return withSubMillis(new Date(instant.millis).toISOString(), instant.nanos);
}

const NANOS_PER_MILLI = 1_000_000n;
/** ECMAScript's Date range: ±8.64e15 ms around the epoch. */
const MAX_DATE_MILLIS = 8_640_000_000_000_000n;

/**
 * Nanoseconds since the epoch → RFC 3339 in UTC with as many fraction digits as the value needs
 * to stay exact: 3 (milliseconds), 6 (microseconds) or 9 (nanoseconds). Null when 0 (OTLP's
 * "unset") or outside Date's range.
 */
export function nanosToRfc3339(nanos: bigint): string | null {
  if (nanos <= 0n) return null;
  const millis = nanos / NANOS_PER_MILLI;
  if (millis > MAX_DATE_MILLIS) return null;
  return withSubMillis(millisToIso(Number(millis)), Number(nanos - millis * NANOS_PER_MILLI));
}

/** 9999-12-31T23:59:59.999Z: up to here an instant is `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
export const MAX_FOUR_DIGIT_YEAR_MILLIS = 253_402_300_799_999;

let cachedSecond = -1;
let cachedSecondPrefix = '';

/**
 * `new Date(millis).toISOString()`, with the `YYYY-MM-DDTHH:MM:SS.` of the last second asked
 * for kept: the times of a batch mostly fall in the same second, and Date#toISOString costs
 * more than the rest of a span's time conversion.
 */
export function millisToIso(millis: number): string {
  if (!(millis >= 0 && millis <= MAX_FOUR_DIGIT_YEAR_MILLIS)) return new Date(millis).toISOString();
  const second = Math.floor(millis / 1000);
  if (second !== cachedSecond) {
    cachedSecondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = millis - second * 1000;
  return `${cachedSecondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** `…sss Z` of a millisecond instant extended by its nanoseconds within the millisecond. */
export function withSubMillis(millisText: string, subMillisNanos: number): string {
  if (subMillisNanos === 0) return millisText;
  const digits = String(subMillisNanos).padStart(6, '0');
  const exact = digits.endsWith('000') ? digits.slice(0, 3) : digits;
  return `${millisText.slice(0, -1)}${exact}Z`;
}
