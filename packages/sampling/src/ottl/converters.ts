import { OttlCompileError, OttlEvaluationError, OttlTypeError } from './errors.js';
import { compileGoRegexp } from '../go-regexp.js';
import type { OttlConditionContext, OttlEvalContext } from './paths.js';
import { parseGoDuration } from './go-duration.js';
import { goJson, goJsonNumber, goJsonTime, typeName, utf8Length, type OttlValue } from './values.js';

/**
 * The OTTL converters (functions with an upper-case name) this collector evaluates, with the
 * Collector's argument types and results. A converter the Collector has but we do not is
 * refused when the configuration is read, by name.
 */

/** An argument after building: a literal known when the configuration is read, or a getter. */
export type CompiledValue = { literal: true; value: OttlValue } | { literal: false; get: (ctx: OttlEvalContext) => OttlValue };

export function valueOf(value: CompiledValue, ctx: OttlEvalContext): OttlValue {
  return value.literal ? value.value : value.get(ctx);
}

type Argument = CompiledValue | CompiledValue[];
type ParamKind = 'value' | 'list';

interface ConverterSpec {
  /**
   * `check`: the typed getter of the parameter. A literal argument goes through it when the
   * configuration is read (as the Collector does): `IsString(1)`, `Int("x")` are refused there.
   */
  params: Array<{ name: string; kind?: ParamKind; check?: (value: OttlValue) => unknown }>;
  /** Only in these condition kinds (IsRootSpan needs a span context). */
  contexts?: OttlConditionContext[];
  build(args: Argument[], column: number): (ctx: OttlEvalContext) => OttlValue;
}

/** Gets an argument's value for a typed parameter: a failure to get it is not a type error. */
function argument(arg: CompiledValue, ctx: OttlEvalContext): OttlValue {
  try {
    return valueOf(arg, ctx);
  } catch (error) {
    if (error instanceof OttlTypeError) throw new OttlEvaluationError(`error getting value: ${error.message}`);
    throw error;
  }
}

// Typed getters: the value must already have the type (nil never has it).
function asString(value: OttlValue): string {
  if (typeof value === 'string') return value;
  throw new OttlTypeError(`expected string but got ${typeName(value)}`);
}
function asInt(value: OttlValue): bigint {
  if (typeof value === 'bigint') return value;
  throw new OttlTypeError(`expected int64 but got ${typeName(value)}`);
}
function asFloat(value: OttlValue): number {
  if (typeof value === 'number') return value;
  throw new OttlTypeError(`expected float64 but got ${typeName(value)}`);
}
function asBool(value: OttlValue): boolean {
  if (typeof value === 'boolean') return value;
  throw new OttlTypeError(`expected bool but got ${typeName(value)}`);
}
function asDuration(value: OttlValue): bigint {
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && value.kind === 'duration') return value.ns;
  throw new OttlTypeError(`expected duration but got ${typeName(value)}`);
}
function asTime(value: OttlValue): bigint {
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && value.kind === 'time') return value.ns;
  throw new OttlTypeError(`expected time but got ${typeName(value)}`);
}
function asMap(value: OttlValue): void {
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && value.kind === 'map') return;
  throw new OttlTypeError(`expected pcommon.Map but got ${typeName(value)}`);
}

// "Like" getters: convert what can be converted; nil is "no value".
function stringLike(value: OttlValue): string | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'string':
      return value;
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) throw new OttlTypeError(`unsupported type: float64 ${value}`);
      return goJsonNumber(value);
    case 'boolean':
      return String(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value.kind === 'map') return goJson({ m: value.entries }, 'm');
  if (value.kind === 'slice') return goJson({ s: value.items }, 's');
  // Go's encoding/json: a duration is its nanoseconds, a time its RFC 3339 form in quotes (UTC, as pcommon gives it).
  if (value.kind === 'duration') return value.ns.toString();
  if (value.kind === 'time') return goJsonTime(value.ns);
  // An id is a Go byte array (a JSON array of numbers); events, links and status have no exported fields.
  if (value.kind === 'trace_id' || value.kind === 'span_id') return `[${[...Buffer.from(value.hex, 'hex')].join(',')}]`;
  return '{}';
}

const INT64_MIN = -(1n << 63n);

const INT64_MAX = (1n << 63n) - 1n;

function intLike(value: OttlValue): bigint | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'bigint':
      return value;
    case 'string': {
      // strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, in range.
      if (!/^[+-]?\d+$/.test(value)) throw new OttlEvaluationError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
      const parsed = BigInt(value);
      if (parsed < INT64_MIN || parsed > INT64_MAX) throw new OttlEvaluationError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
      return parsed;
    }
    case 'number': {
      // Go's int64(float64): truncation toward zero; out of range or NaN gives the minimum int64
      // on amd64 (the instruction's "integer indefinite"), which is what otelcol runs on here.
      const truncated = Math.trunc(value);
      if (!Number.isFinite(truncated) || truncated >= 2 ** 63 || truncated < -(2 ** 63)) return INT64_MIN;
      return BigInt(truncated);
    }
    case 'boolean':
      return value ? 1n : 0n;
  }
  throw new OttlTypeError(`unsupported type: ${typeName(value)}`);
}

const GO_FLOAT = /^[+-]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?$/;

function floatLike(value: OttlValue): number | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'number':
      return value;
    case 'bigint':
      return Number(value);
    case 'string': {
      // strconv.ParseFloat: decimal notation, or inf/infinity/nan in any case.
      const lower = value.toLowerCase();
      if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
      if (lower === 'nan') return NaN;
      if (!GO_FLOAT.test(value) || value.includes('_')) throw new OttlEvaluationError(`strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`);
      return Number(value);
    }
    case 'boolean':
      return value ? 1 : 0;
  }
  throw new OttlTypeError(`unsupported type: ${typeName(value)}`);
}

const GO_BOOLS: Record<string, boolean> = {
  '1': true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

function boolLike(value: OttlValue): boolean | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'bigint':
      return value !== 0n;
    case 'number':
      return value !== 0;
    case 'string':
      if (!Object.hasOwn(GO_BOOLS, value)) throw new OttlEvaluationError(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
      return GO_BOOLS[value];
  }
  throw new OttlTypeError(`unsupported type: ${typeName(value)}`);
}

/** IsString, IsInt, …: true when the value has the type, false on a type error, other errors pass. */
function typeTest(check: (value: OttlValue) => unknown): ConverterSpec {
  return {
    params: [{ name: 'target', check }],
    build:
      ([target]) =>
      (ctx) => {
        const value = argument(target as CompiledValue, ctx);
        try {
          check(value);
          return true;
        } catch (error) {
          if (error instanceof OttlTypeError) return false;
          throw error;
        }
      },
  };
}

/** Int(), Double(), String(), Bool(): the converted value, nil for nil. */
function conversion(convert: (value: OttlValue) => OttlValue | undefined): ConverterSpec {
  return {
    params: [{ name: 'target', check: convert }],
    build:
      ([target]) =>
      (ctx) =>
        convert(argument(target as CompiledValue, ctx)) ?? null,
  };
}

/** A converter of one typed argument to a value. */
function unary<T>(check: (value: OttlValue) => T, name: string, convert: (value: T) => OttlValue): ConverterSpec {
  return {
    params: [{ name, check }],
    build:
      ([arg]) =>
      (ctx) =>
        convert(check(argument(arg as CompiledValue, ctx))),
  };
}

/** Go's integer division of int64s: truncated toward zero. */
const per = (ns: bigint, unit: bigint) => ns / unit;
/** Go's Duration.Seconds/Minutes/Hours: whole units plus the remainder as a fraction. */
const fractional = (ns: bigint, unit: bigint) => Number(ns / unit) + Number(ns % unit) / Number(unit);
/** Go's Time.Unix*(): floored, as a time's nanoseconds within its second are never negative. */
const floored = (ns: bigint, unit: bigint) => (ns >= 0n ? ns / unit : -((-ns + unit - 1n) / unit));

function stringPair(test: (value: string, other: string) => boolean, second: string): ConverterSpec {
  return {
    params: [
      { name: 'target', check: asString },
      { name: second, check: asString },
    ],
    build:
      ([target, other]) =>
      (ctx) =>
        test(asString(argument(target as CompiledValue, ctx)), asString(argument(other as CompiledValue, ctx))),
  };
}

export const CONVERTERS: Record<string, ConverterSpec> = {
  IsMatch: {
    params: [
      { name: 'target', check: stringLike },
      { name: 'pattern', check: asString },
    ],
    build([target, pattern], column) {
      const patternArg = pattern as CompiledValue;
      let fixed: RegExp | undefined;
      if (patternArg.literal && typeof patternArg.value === 'string') {
        try {
          fixed = compileGoRegexp(patternArg.value);
        } catch (error) {
          throw new OttlCompileError(
            column,
            `the regex pattern supplied to IsMatch ${JSON.stringify(patternArg.value)} is not a valid pattern: ${(error as Error).message}`,
          );
        }
      }
      return (ctx) => {
        let regexp = fixed;
        if (regexp === undefined) {
          const source = asStringOrFail(argument(patternArg, ctx));
          try {
            regexp = compileGoRegexp(source);
          } catch (error) {
            throw new OttlEvaluationError(
              `the regex pattern supplied to IsMatch ${JSON.stringify(source)} is not a valid pattern: ${(error as Error).message}`,
            );
          }
        }
        const value = stringLike(argument(target as CompiledValue, ctx));
        if (value === undefined) return false;
        regexp.lastIndex = 0;
        return regexp.test(value);
      };
    },
  },
  Len: {
    params: [{ name: 'target' }],
    build:
      ([target]) =>
      (ctx) => {
        const value = argument(target as CompiledValue, ctx);
        if (typeof value === 'string') return BigInt(utf8Length(value));
        if (value instanceof Uint8Array) return BigInt(value.length);
        if (value !== null && typeof value === 'object') {
          if (value.kind === 'map') return BigInt(Object.keys(value.entries).length);
          if (value.kind === 'slice') return BigInt(value.items.length);
          if (value.kind === 'events' || value.kind === 'links') return BigInt((value.ref as unknown[]).length);
        }
        throw new OttlEvaluationError(`Len: unsupported target type ${typeName(value)}`);
      },
  },
  IsString: typeTest(asString),
  IsInt: typeTest(asInt),
  IsDouble: typeTest(asFloat),
  IsBool: typeTest(asBool),
  IsMap: typeTest(asMap),
  IsList: {
    params: [{ name: 'target' }],
    build:
      ([target]) =>
      (ctx) => {
        const value = valueOf(target as CompiledValue, ctx);
        return (
          value !== null &&
          typeof value === 'object' &&
          !(value instanceof Uint8Array) &&
          (value.kind === 'slice' || value.kind === 'events' || value.kind === 'links')
        );
      },
  },
  Concat: {
    params: [
      { name: 'vals', kind: 'list', check: stringLike },
      { name: 'delimiter', check: asString },
    ],
    build:
      ([vals, delimiter]) =>
      (ctx) => {
        const separator = asString(argument(delimiter as CompiledValue, ctx));
        return (vals as CompiledValue[]).map((val) => stringLike(argument(val, ctx)) ?? '<nil>').join(separator);
      },
  },
  Int: conversion(intLike),
  Double: conversion(floatLike),
  String: conversion(stringLike),
  Bool: conversion(boolLike),
  HasPrefix: stringPair((value, prefix) => value.startsWith(prefix), 'prefix'),
  HasSuffix: stringPair((value, suffix) => value.endsWith(suffix), 'suffix'),
  ToLowerCase: {
    params: [{ name: 'target', check: asString }],
    build:
      ([target]) =>
      (ctx) =>
        asString(argument(target as CompiledValue, ctx)).toLowerCase(),
  },
  ToUpperCase: {
    params: [{ name: 'target', check: asString }],
    build:
      ([target]) =>
      (ctx) =>
        asString(argument(target as CompiledValue, ctx)).toUpperCase(),
  },
  Duration: unary(asString, 'duration', (text) => ({ kind: 'duration', ns: parseGoDuration(text) })),
  Nanoseconds: unary(asDuration, 'duration', (ns) => ns),
  Microseconds: unary(asDuration, 'duration', (ns) => per(ns, 1_000n)),
  Milliseconds: unary(asDuration, 'duration', (ns) => per(ns, 1_000_000n)),
  Seconds: unary(asDuration, 'duration', (ns) => fractional(ns, 1_000_000_000n)),
  Minutes: unary(asDuration, 'duration', (ns) => fractional(ns, 60_000_000_000n)),
  Hours: unary(asDuration, 'duration', (ns) => fractional(ns, 3_600_000_000_000n)),
  UnixNano: unary(asTime, 'time', (ns) => ns),
  UnixMicro: unary(asTime, 'time', (ns) => floored(ns, 1_000n)),
  UnixMilli: unary(asTime, 'time', (ns) => floored(ns, 1_000_000n)),
  UnixSeconds: unary(asTime, 'time', (ns) => floored(ns, 1_000_000_000n)),
  IsRootSpan: {
    params: [],
    contexts: ['span'],
    build: () => (ctx) => ctx.span.parentSpanId === '' || /^0+$/.test(ctx.span.parentSpanId),
  },
};

function asStringOrFail(value: OttlValue): string {
  if (typeof value === 'string') return value;
  throw new OttlEvaluationError(`expected string but got ${typeName(value)}`);
}

/** The Collector's other standard converters (v0.161.0): refused by name rather than called unknown. */
export const UNSUPPORTED_CONVERTERS = new Set([
  'All',
  'Any',
  'Base64Encode',
  'Coalesce',
  'CommunityID',
  'ContainsValue',
  'ConvertAttributesToElementsXML',
  'ConvertCase',
  'ConvertTextToElementsXML',
  'Day',
  'Decode',
  'ExtractGrokPatterns',
  'ExtractPatterns',
  'Filter',
  'Find',
  'FNV',
  'Format',
  'FormatTime',
  'GetXML',
  'Hex',
  'Hour',
  'Index',
  'InsertXML',
  'IsEmpty',
  'IsInCIDR',
  'IsValidLuhn',
  'Keys',
  'Log',
  'MapEach',
  'MapKeys',
  'MD5',
  'Minute',
  'Month',
  'Murmur3Hash',
  'Murmur3Hash128',
  'Nanosecond',
  'Now',
  'ParseCSV',
  'ParseInt',
  'ParseJSON',
  'ParseKeyValue',
  'ParseSeverity',
  'ParseSimplifiedXML',
  'ParseXML',
  'ProfileID',
  'Reduce',
  'RemoveXML',
  'Second',
  'SHA1',
  'SHA256',
  'SHA512',
  'SliceToMap',
  'Sort',
  'SpanID',
  'Split',
  'Substring',
  'Time',
  'ToCamelCase',
  'ToKeyValueString',
  'ToSnakeCase',
  'TraceID',
  'Trim',
  'TrimPrefix',
  'TrimSuffix',
  'TruncateTime',
  'Unix',
  'URL',
  'UserAgent',
  'UUID',
  'UUIDv7',
  'Values',
  'Weekday',
  'When',
  'XXH128',
  'XXH3',
  'Year',
  'Append',
  'DeleteIndex',
]);
