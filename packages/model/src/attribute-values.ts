import { isAttributeList, type ReadonlyAttributeValue } from './readonly-otlp-types.js';
import { exceedsJsonNesting, MAX_NESTING_DEPTH } from './json-nesting.js';
import { setOwn } from './own-property.js';
import { parseJsonExact, stringifyJsonExact } from './exact-json.js';

/**
 * Conversions from OTLP attribute values (which may hold bigint and bytes) to values that
 * survive stringifyJsonExact unchanged, so that events built from spans can be stored and hashed.
 */

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIGINT = -MAX_SAFE_BIGINT;

/**
 * bytes → base64, non-finite numbers → their name; recursive. A bigint (an int64 beyond 2^53)
 * stays a bigint: records keep it exact and our JSON writes it as a number (exact-json.ts).
 */
export function toJsonValue(value: ReadonlyAttributeValue | undefined): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      // Decoders give a bigint only beyond 2^53; one in the safe range is a plain number.
      return value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : value;
  }
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (isAttributeList(value)) return value.map(toJsonValue);
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(result, key, toJsonValue(value[key]));
  return result;
}

/** A scalar as text; structured values as their JSON; absent/null/empty → null. */
export function toText(value: ReadonlyAttributeValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (value instanceof Uint8Array) text = bytesToBase64(value);
  else text = stringifyJsonExact(toJsonValue(value));
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
    return { ok: true, value: parseJsonExact(text) };
  } catch (error) {
    return { ok: false, detail: describeJsonError(error) };
  }
}

// Kept here too for the modules that read span times with the attribute helpers.
export { nanosToRfc3339 } from './instant.js';
