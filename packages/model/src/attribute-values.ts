import type { AttributeValue } from './otlp-types.js';
import { exceedsJsonNesting, MAX_NESTING_DEPTH } from './json-nesting.js';
import { setOwn } from './own-property.js';

/**
 * Conversions from OTLP attribute values (which may hold bigint and bytes) to values that
 * survive JSON.stringify unchanged, so that events built from spans can be stored and hashed.
 */

/** bigint → decimal string, bytes → base64, non-finite numbers → their name; recursive. */
export function toJsonValue(value: AttributeValue | undefined): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString(10);
  }
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(result, key, toJsonValue(value[key]));
  return result;
}

/** A scalar as text; structured values as their JSON; absent/null/empty → null. */
export function toText(value: AttributeValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (value instanceof Uint8Array) text = bytesToBase64(value);
  else text = JSON.stringify(toJsonValue(value));
  return text === '' ? null : text;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * The parser's explanation of why a string is not JSON, without any of the string itself:
 * flags end up in records that people read, and the string may hold anything (V8 quotes the
 * input in its "Unexpected token" message).
 */
export function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (message.startsWith('Unexpected token')) return 'Unexpected token in JSON';
  if (message === '' || message.includes('"')) return 'Invalid JSON';
  return message;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; detail: string };

/** JSON text nesting deeper than MAX_NESTING_DEPTH is not parsed: it stays text, and says why. */
export function tryParseJson(text: string): JsonParseResult {
  if (exceedsJsonNesting(text)) return { ok: false, detail: `JSON nests deeper than ${MAX_NESTING_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, detail: describeJsonError(error) };
  }
}

const NANOS_PER_MILLI = 1_000_000n;
/** ECMAScript's Date range: ±8.64e15 ms around the epoch. */
const MAX_DATE_MILLIS = 8_640_000_000_000_000n;

/** Nanoseconds since the epoch → RFC 3339 with milliseconds, or null when 0 or out of range. */
export function nanosToRfc3339(nanos: bigint): string | null {
  if (nanos <= 0n) return null;
  const millis = nanos / NANOS_PER_MILLI;
  if (millis > MAX_DATE_MILLIS) return null;
  return new Date(Number(millis)).toISOString();
}
