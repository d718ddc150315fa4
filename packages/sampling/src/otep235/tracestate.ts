/**
 * W3C `tracestate` and its OpenTelemetry entry `ot=th:…;rv:…` (OTEP 235). Parsing keeps every
 * other vendor entry and every unknown `ot` sub-key so rewriting the header loses nothing.
 */
export interface OtelTraceState {
  /** Threshold as written (`th`), or undefined. */
  th?: string;
  /** Randomness as written (`rv`), or undefined. */
  rv?: string;
  /** Other `ot` sub-keys in their original order. */
  extra: Array<[string, string]>;
}

const OT_KEY = 'ot';
const OT_SUBKEY = /^[a-z][a-z0-9]*$/;
const OT_VALUE = /^[a-zA-Z0-9._\-+]*$/;
const MAX_OT_VALUE_LENGTH = 256;

export interface ParsedTraceState {
  /** Entries in order, `ot` included. */
  entries: Array<[string, string]>;
}

/**
 * Splits a tracestate header into its list members; malformed members are dropped. A repeated
 * key is kept (the Collector forwards such a header as it came; lookups take the first).
 */
export function parseTraceState(header: string): ParsedTraceState {
  const entries: Array<[string, string]> = [];
  if (header === '') return { entries };
  for (const member of header.split(',')) {
    const text = member.trim();
    if (text === '') continue;
    const eq = text.indexOf('=');
    if (eq <= 0) continue;
    const key = text.slice(0, eq);
    entries.push([key, text.slice(eq + 1)]);
  }
  return { entries };
}

export function getTraceStateValue(header: string, key: string): string | undefined {
  if (header === '' || !header.includes(key)) return undefined;
  for (const [entryKey, value] of parseTraceState(header).entries) if (entryKey === key) return value;
  return undefined;
}

/**
 * Parses the `ot` value; a malformed value is an error (the caller decides whether to fail
 * open or closed), absence is an empty state.
 */
export function parseOtelTraceState(value: string | undefined): OtelTraceState | Error {
  const state: OtelTraceState = { extra: [] };
  if (value === undefined || value === '') return state;
  if (value.length > MAX_OT_VALUE_LENGTH) return new Error('ot tracestate value longer than 256 characters');
  for (const field of value.split(';')) {
    const colon = field.indexOf(':');
    if (colon <= 0) return new Error(`malformed ot tracestate field "${field}"`);
    const key = field.slice(0, colon);
    const fieldValue = field.slice(colon + 1);
    if (!OT_SUBKEY.test(key) || !OT_VALUE.test(fieldValue)) return new Error(`malformed ot tracestate field "${field}"`);
    // A th or rv that is not hex of the right length makes the whole value unusable, as in the
    // Collector (fail_closed drops the span; failing open keeps it with its tracestate unchanged).
    if (key === 'th') {
      if (!/^[0-9a-fA-F]{1,14}$/.test(fieldValue)) return new Error(`malformed ot threshold "${fieldValue}"`);
      state.th = fieldValue;
    } else if (key === 'rv') {
      if (!/^[0-9a-fA-F]{14}$/.test(fieldValue)) return new Error(`malformed ot randomness "${fieldValue}"`);
      state.rv = fieldValue;
    } else state.extra.push([key, fieldValue]);
  }
  return state;
}

export function serializeOtelTraceState(state: OtelTraceState): string {
  const fields: string[] = [];
  // rv before th, as the Collector's sampling package writes them (whatever order they came in).
  if (state.rv !== undefined) fields.push(`rv:${state.rv}`);
  if (state.th !== undefined) fields.push(`th:${state.th}`);
  for (const [key, value] of state.extra) fields.push(`${key}:${value}`);
  return fields.join(';');
}

/** The header with `ot` replaced (moved to the front, as W3C asks of a modified entry) or removed. */
export function withOtelTraceState(header: string, otValue: string): string {
  const others = parseTraceState(header).entries.filter(([key]) => key !== OT_KEY);
  const members = otValue === '' ? others : [[OT_KEY, otValue] as [string, string], ...others];
  return members.map(([key, value]) => `${key}=${value}`).join(',');
}

export function otelTraceStateOf(header: string): OtelTraceState | Error {
  if (!isValidW3cTraceState(header)) return new Error('tracestate is not valid W3C');
  return parseOtelTraceState(getTraceStateValue(header, OT_KEY));
}

const W3C_KEY = /^(?:[a-z][a-z0-9_\-*/]*|[a-z0-9][a-z0-9_\-*/]*@[a-z][a-z0-9_\-*/]*)$/;
const W3C_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The W3C syntax check of the Collector's sampling package (`NewW3CTraceState`): at most 1024
 * characters and 32 members, each (whitespace-trimmed, empty allowed) `key=value` with a
 * lower-case key and a printable value without `,` or `=`. A header failing it is an invalid
 * tracestate for the probabilistic sampler (dropped when failing closed).
 */
export function isValidW3cTraceState(header: string): boolean {
  if (header === '') return true;
  if (header.length > 1024) return false;
  let pairs = 0;
  for (const raw of header.split(',')) {
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq < 1) return false;
    const key = member.slice(0, eq);
    if (!W3C_KEY.test(key) || !W3C_VALUE.test(member.slice(eq + 1))) return false;
    if (key.length > 256) return false;
    const at = key.indexOf('@');
    if (at !== -1 && (at > 241 || key.length - at - 1 > 14)) return false;
    if (++pairs > 32) return false;
  }
  return true;
}
