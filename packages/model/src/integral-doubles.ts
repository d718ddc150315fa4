import type { ReadonlyAttributeValue, ReadonlyAttributes } from './readonly-otlp-types.js';

/**
 * OTLP tells an `int_value` 3 from a `double_value` 3.0; a JavaScript number does not. Both
 * decode to the number 3, and an integral double carries a note on its container (the
 * attributes object or the array that holds it) naming its key or index, so an encoder can send
 * it on as the double it arrived as. Doubles with a fraction, NaN and ±Infinity need no note.
 *
 * The note is a non-enumerable symbol property: Object.keys, JSON, for-in and deep equality
 * ignore it, and a copy of the container (spread, structuredClone) drops it, which turns such
 * values into ints again, as before. Code that puts an int where a noted double was clears the
 * note with noteIntegralDouble(container, key, false).
 */
const INTEGRAL_DOUBLES = Symbol('decision-trace.integralDoubles');

/** A container read for its notes: any attributes object or array, shared or not. */
type Container = ReadonlyAttributes | readonly ReadonlyAttributeValue[];
/** A container whose notes are written: one its writer built (a decoder, a redaction pass). */
type OwnContainer = { [key: string]: ReadonlyAttributeValue } | ReadonlyAttributeValue[];
type Noted = { [INTEGRAL_DOUBLES]?: Set<string | number> };

/** Records whether the number at `key` of `container` arrived as an OTLP double. */
export function noteIntegralDouble(container: OwnContainer, key: string | number, isDouble: boolean): void {
  const noted = container as Noted;
  let keys = noted[INTEGRAL_DOUBLES];
  if (!isDouble) {
    keys?.delete(key);
    return;
  }
  if (keys === undefined) {
    keys = new Set();
    Object.defineProperty(container, INTEGRAL_DOUBLES, { value: keys, enumerable: false, writable: false, configurable: true });
  }
  keys.add(key);
}

/** Whether the number `value` at `key` of `container` is to be encoded as an OTLP double. */
export function isDoubleValue(container: Container, key: string | number, value: number): boolean {
  if (!Number.isSafeInteger(value)) return true;
  return (container as Noted)[INTEGRAL_DOUBLES]?.has(key) === true;
}

/**
 * Carries the notes of `from` over to `to`, a rebuilt copy of it (a redaction pass that changed
 * some entries), for every entry `to` kept unchanged under the same key.
 */
export function carryIntegralDoubleNotes(from: Container, to: OwnContainer): void {
  const keys = (from as Noted)[INTEGRAL_DOUBLES];
  if (keys === undefined || from === to) return;
  for (const key of keys) {
    if ((to as Record<string | number, unknown>)[key] === (from as Record<string | number, unknown>)[key]) noteIntegralDouble(to, key, true);
  }
}
