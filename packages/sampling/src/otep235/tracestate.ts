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

/** Splits a tracestate header into its list members; malformed members are dropped. */
export function parseTraceState(header: string): ParsedTraceState {
  const entries: Array<[string, string]> = [];
  if (header === '') return { entries };
  for (const member of header.split(',')) {
    const text = member.trim();
    if (text === '') continue;
    const eq = text.indexOf('=');
    if (eq <= 0) continue;
    const key = text.slice(0, eq);
    if (entries.some(([existing]) => existing === key)) continue;
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
    if (key === 'th') state.th = fieldValue;
    else if (key === 'rv') state.rv = fieldValue;
    else state.extra.push([key, fieldValue]);
  }
  return state;
}

export function serializeOtelTraceState(state: OtelTraceState): string {
  const fields: string[] = [];
  if (state.th !== undefined) fields.push(`th:${state.th}`);
  if (state.rv !== undefined) fields.push(`rv:${state.rv}`);
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
  return parseOtelTraceState(getTraceStateValue(header, OT_KEY));
}
