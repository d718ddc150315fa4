import type { Findings } from './findings.js';
import { MASK_TEXT } from './settings.js';
import { DROP, Renamed, type ValueRedactor } from './value-redactor.js';

/** Field path of a W3C `tracestate` list member: `trace_state.<key>`. */
export const TRACE_STATE_FIELD = 'trace_state';

/**
 * A W3C `tracestate` (`vendor=value,other@tenant=value`) is a list of keys and values like an
 * attribute set, and travels with the span to every backend it is forwarded to, so the rules
 * apply to it too: each member's value is a field at `trace_state.<key>`. A member the rules
 * drop is removed; a derived one is stored under its key + suffix. Text that is not a
 * `key=value` member is treated as a value at `trace_state` (value rules only). The result
 * stays a valid header: redacted values are `***`, hex, or the derived forms, none of which
 * holds `,` or `=`.
 */
export function redactTraceState(values: ValueRedactor, traceState: string, findings: Findings): string {
  if (traceState === '') return traceState;
  const members = traceState.split(',');
  let changed = false;
  const out: string[] = [];
  for (const member of members) {
    const equals = member.indexOf('=');
    const key = equals === -1 ? '' : member.slice(0, equals).trim();
    const value = equals === -1 ? member : member.slice(equals + 1);
    const result = key === '' ? values.redactValue(TRACE_STATE_FIELD, value, findings) : values.redactField(`${TRACE_STATE_FIELD}.${key}`, value, findings);
    if (result === value) {
      out.push(member);
      continue;
    }
    changed = true;
    if (result === DROP) continue;
    if (result instanceof Renamed) out.push(`${key}${result.suffix}=${headerSafe(result.value)}`);
    else out.push(key === '' ? headerSafe(String(result)) : `${key}=${headerSafe(String(result))}`);
  }
  return changed ? out.join(',') : traceState;
}

/** A tracestate value may not hold `,` or `=` (nor control characters): mask what would. */
function headerSafe(text: string): string {
  return /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]*$/.test(text) ? text : MASK_TEXT;
}
