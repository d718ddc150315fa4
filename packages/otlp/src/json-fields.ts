import { isUint64 } from './int64.js';

/**
 * Typed reads of one field of a parsed OTLP/JSON object, following the protobuf JSON
 * mapping: the lowerCamelCase name is preferred and the proto's snake_case name accepted,
 * a missing or null field means the default, 64-bit integers may be decimal strings or
 * numbers (a number beyond 2^53 arrives as a bigint from parseJsonExact, exact). A value of the wrong type throws JsonShapeError naming the field; callers add
 * the enclosing path on the way out.
 */

export type JsonObject = { [key: string]: unknown };

export class JsonShapeError extends Error {
  path: string;

  constructor(path: string, reason: string) {
    super(reason);
    this.path = path;
  }

  /** Prefixes the path with an enclosing field or array element, e.g. `spans[3]`. */
  within(segment: string): JsonShapeError {
    this.path = this.path === '' ? segment : `${segment}.${this.path}`;
    return this;
  }
}

const EMPTY: readonly unknown[] = Object.freeze([]);
const UNSIGNED_DECIMAL = /^\d+$/;
const SIGNED_DECIMAL = /^-?\d+$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

export function member(object: JsonObject, name: string, snakeName: string): unknown {
  const value = object[name];
  return value === undefined ? object[snakeName] : value;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readObject(object: JsonObject, name: string, snakeName: string): JsonObject | undefined {
  const value = member(object, name, snakeName);
  if (value == null) return undefined;
  if (isJsonObject(value)) return value;
  throw new JsonShapeError(name, 'expected an object');
}

export function readArray(object: JsonObject, name: string, snakeName: string): readonly unknown[] {
  const value = member(object, name, snakeName);
  if (value == null) return EMPTY;
  if (Array.isArray(value)) return value;
  throw new JsonShapeError(name, 'expected an array');
}

export function readString(object: JsonObject, name: string, snakeName: string): string {
  const value = member(object, name, snakeName);
  if (value == null) return '';
  if (typeof value === 'string') return value;
  throw new JsonShapeError(name, 'expected a string');
}

/** An id in the OTLP/JSON hex form, returned lowercase; '' when absent. */
export function readHexId(object: JsonObject, name: string, snakeName: string): string {
  const value = member(object, name, snakeName);
  if (value == null) return '';
  if (typeof value === 'string' && HEX.test(value)) return value.toLowerCase();
  throw new JsonShapeError(name, 'expected a hex string');
}

export function readUint32(object: JsonObject, name: string, snakeName: string): number {
  const value = member(object, name, snakeName);
  if (value == null) return 0;
  const number = typeof value === 'number' ? value : typeof value === 'string' && UNSIGNED_DECIMAL.test(value) ? Number(value) : NaN;
  if (Number.isInteger(number) && number >= 0 && number <= 0xffffffff) return number;
  throw new JsonShapeError(name, 'expected an unsigned 32-bit integer');
}

export function readUint64(object: JsonObject, name: string, snakeName: string): bigint {
  const value = member(object, name, snakeName);
  if (value == null) return 0n;
  let result: bigint;
  if (typeof value === 'string' && UNSIGNED_DECIMAL.test(value)) result = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value)) result = BigInt(value);
  else if (typeof value === 'bigint') result = value;
  else throw new JsonShapeError(name, 'expected an integer');
  if (!isUint64(result)) throw new JsonShapeError(name, 'expected an unsigned 64-bit integer');
  return result;
}

/** A signed int64: a number when exactly representable, else a bigint. */
export function readInt64(object: JsonObject, name: string, snakeName: string): number | bigint {
  const value = member(object, name, snakeName);
  if (value == null) return 0;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    if (Number.isInteger(value)) return checkInt64(BigInt(value), name);
  } else if (typeof value === 'bigint') {
    // A JSON number beyond 2^53 (`{"intValue": 9007199254740993}`), read exactly.
    return checkInt64(value, name);
  } else if (typeof value === 'string' && SIGNED_DECIMAL.test(value)) {
    // Up to 15 digits always fits a double exactly.
    if (value.length <= 15) return Number(value);
    const big = checkInt64(BigInt(value), name);
    return big >= -MAX_SAFE_BIGINT && big <= MAX_SAFE_BIGINT ? Number(big) : big;
  }
  throw new JsonShapeError(name, 'expected an integer');
}

function checkInt64(value: bigint, name: string): bigint {
  if (value < INT64_MIN || value > INT64_MAX) throw new JsonShapeError(name, 'expected a signed 64-bit integer');
  return value;
}

export function readDouble(object: JsonObject, name: string, snakeName: string): number {
  const value = member(object, name, snakeName);
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    const number = value.trim() === '' ? NaN : Number(value);
    if (!Number.isNaN(number)) return number;
  }
  throw new JsonShapeError(name, 'expected a number');
}

export function readBool(object: JsonObject, name: string, snakeName: string): boolean {
  const value = member(object, name, snakeName);
  if (value == null) return false;
  if (typeof value === 'boolean') return value;
  throw new JsonShapeError(name, 'expected a boolean');
}

export function readBase64(object: JsonObject, name: string, snakeName: string): Uint8Array {
  const value = member(object, name, snakeName);
  if (value == null) return new Uint8Array(0);
  if (typeof value === 'string' && BASE64.test(value)) return new Uint8Array(Buffer.from(value, 'base64'));
  throw new JsonShapeError(name, 'expected a base64 string');
}

/** An enum given as its number or as its value name. */
export function readEnum(object: JsonObject, name: string, snakeName: string, names: ReadonlyMap<string, number>): number {
  const value = member(object, name, snakeName);
  if (value == null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
    return value;
  }
  if (typeof value === 'string') {
    const number = names.get(value);
    if (number !== undefined) return number;
    throw new JsonShapeError(name, `unknown value ${JSON.stringify(value.slice(0, 64))}`);
  }
  throw new JsonShapeError(name, 'expected an enum number or name');
}
