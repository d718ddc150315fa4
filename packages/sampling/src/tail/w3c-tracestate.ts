/**
 * A W3C `tracestate` header read strictly, as the OpenTelemetry Go SDK's `trace.ParseTraceState`
 * reads it (the Collector's `trace_state` policy uses it): a malformed member — a key that is
 * not lower-case `[a-z][a-z0-9_*\/-]*` or `tenant@system`, a value with `,` `=` or a control
 * character, a duplicated key, more than 32 members — makes the whole header unreadable.
 * Returns the members, or undefined when the header is invalid.
 */
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_MEMBERS = 32;

export function parseW3cTraceState(header: string): Map<string, string> | undefined {
  const members = new Map<string, string>();
  if (header === '') return members;
  for (const member of header.split(',')) {
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq === -1) return undefined;
    const key = member.slice(0, eq).replace(/^[ \t]+/, '');
    const value = member.slice(eq + 1).replace(/[ \t]+$/, '');
    const validKey = key.includes('@') ? TENANT_KEY.test(key) : SIMPLE_KEY.test(key);
    if (!validKey || !VALUE.test(value) || members.has(key)) return undefined;
    members.set(key, value);
    if (members.size > MAX_MEMBERS) return undefined;
  }
  return members;
}
