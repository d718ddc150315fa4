import {
  isAttributeList,
  isDoubleValue,
  type ReadonlyAttributeValue,
  type ReadonlyAttributes,
  type ReadonlySpanEvent,
  type ReadonlySpanLink,
} from '@decision-trace/model';

/**
 * What an OTTL expression evaluates to, with the Collector's types kept apart: an int64 is a
 * bigint and a float64 a number (an attribute 3.0 that arrived as a double stays a double), nil
 * is null. Maps and slices wrap the attribute containers they come from, so the int/double
 * notes of their entries are kept. Times and durations are nanoseconds.
 */
export type OttlValue = null | string | bigint | number | boolean | Uint8Array | OttlMap | OttlSlice | OttlTime | OttlDuration | OttlId | OttlOpaque;

export interface OttlMap {
  readonly kind: 'map';
  readonly entries: ReadonlyAttributes;
}
export interface OttlSlice {
  readonly kind: 'slice';
  readonly items: readonly ReadonlyAttributeValue[];
}
export interface OttlTime {
  readonly kind: 'time';
  readonly ns: bigint;
}
export interface OttlDuration {
  readonly kind: 'duration';
  readonly ns: bigint;
}
/** A trace or span id in its binary form (`trace_id`, `span_id`, `TraceID(0x…)`). */
export interface OttlId {
  readonly kind: 'trace_id' | 'span_id';
  readonly hex: string;
}
/** Span events, links or status as a whole: only their length (Len) and identity mean anything. */
export interface OttlOpaque {
  readonly kind: 'events' | 'links' | 'status';
  readonly ref: readonly ReadonlySpanEvent[] | readonly ReadonlySpanLink[] | object;
}

export type OttlObject = OttlMap | OttlSlice | OttlTime | OttlDuration | OttlId | OttlOpaque;

export function isObject(value: OttlValue): value is OttlObject {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array);
}

/** The value at `key` of an attributes object or array, typed as pcommon reads it. */
export function fromAttribute(container: ReadonlyAttributes | readonly ReadonlyAttributeValue[], key: string | number): OttlValue {
  const value = (container as Record<string | number, ReadonlyAttributeValue>)[key];
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'number':
      return isDoubleValue(container, key, value) ? value : BigInt(value);
    case 'undefined':
      return null;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return value;
  if (isAttributeList(value)) return { kind: 'slice', items: value };
  return { kind: 'map', entries: value };
}

/** The type's name in messages, pcommon's where there is one. */
export function typeName(value: OttlValue): string {
  if (value === null) return 'nil';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  if (value instanceof Uint8Array) return '[]byte';
  return value.kind;
}

/**
 * A value with its types spelled out, for deep equality of maps and slices: an int and a double
 * of the same magnitude differ, as in pcommon.
 */
export function typedKey(container: ReadonlyAttributes | readonly ReadonlyAttributeValue[], key: string | number): string {
  const value = fromAttribute(container, key);
  if (value === null) return 'n';
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'bigint':
      return `i${value}`;
    case 'number':
      return `d${Object.is(value, -0) ? '-0' : value}`;
    case 'boolean':
      return `b${value}`;
  }
  if (value instanceof Uint8Array) return `x${Buffer.from(value).toString('hex')}`;
  if (value.kind === 'slice') return `[${value.items.map((_, index) => typedKey(value.items, index)).join(',')}]`;
  if (value.kind === 'map') {
    const keys = Object.keys(value.entries).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${typedKey(value.entries, k)}`).join(',')}}`;
  }
  return '?';
}

/**
 * Strings compared as Go compares them: by their UTF-8 bytes, which is code point order (it
 * differs from JavaScript's UTF-16 order only around astral characters).
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}

/** Go's len() of a string: its length in UTF-8 bytes. */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * encoding/json of a float64 as otelcol v0.161.0 (built with Go 1.26) writes it: the shortest
 * form that reads back, in exponent form below 1e-6 and from 1e21 (JavaScript's thresholds and
 * digits), the exponent with at least two digits (`1e-07`, `1e+21`) — checked against its String().
 */
export function goJsonNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
  if (Object.is(value, -0)) return '-0';
  return String(value).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Go's encoding/json of a string: HTML-sensitive characters and U+2028/U+2029 escaped too. */
export function goJsonString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Go's encoding/json of an attribute value as pcommon's AsRaw gives it (map keys sorted, bytes in base64). */
export function goJson(container: ReadonlyAttributes | readonly ReadonlyAttributeValue[], key: string | number): string {
  const value = fromAttribute(container, key);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return goJsonString(value);
    case 'bigint':
      return value.toString();
    case 'number':
      return goJsonNumber(value);
    case 'boolean':
      return String(value);
  }
  if (value instanceof Uint8Array) return goJsonString(Buffer.from(value).toString('base64'));
  if (value.kind === 'slice') return `[${value.items.map((_, index) => goJson(value.items, index)).join(',')}]`;
  if (value.kind === 'map') {
    const keys = Object.keys(value.entries).sort(compareStrings);
    return `{${keys.map((k) => `${goJsonString(k)}:${goJson(value.entries, k)}`).join(',')}}`;
  }
  return 'null';
}

/** Go's encoding/json of a time.Time (UTC, as pcommon gives it): RFC3339Nano in quotes, the fraction without trailing zeros. */
export function goJsonTime(ns: bigint): string {
  const seconds = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const fraction = ns - seconds * 1_000_000_000n;
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = fraction === 0n ? '' : `.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `"${date}${digits}Z"`;
}
