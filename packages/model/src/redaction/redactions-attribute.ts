import type { AttributeValue } from '../otlp-types.js';
import type { RedactionEntry } from '../record.js';

/**
 * The `dt.redactions` attribute: a JSON array of `{field, action}` that the redaction processor
 * leaves on each resource, span or span event it changed, so the decision extractor (possibly in
 * another collector further down) can tell the record which fields were redacted.
 */
export function encodeRedactions(entries: readonly RedactionEntry[]): string {
  return JSON.stringify(entries.map(({ field, action }) => ({ field, action })));
}

/** The entries of a `dt.redactions` value; anything malformed is ignored (it is only a note). */
export function decodeRedactions(value: AttributeValue | undefined): RedactionEntry[] {
  if (typeof value !== 'string' || value === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const entries: RedactionEntry[] = [];
  for (const item of parsed) {
    if (typeof item !== 'object' || item === null) continue;
    const { field, action } = item as Record<string, unknown>;
    if (typeof field === 'string' && field !== '' && typeof action === 'string' && action !== '') {
      entries.push({ field, action });
    }
  }
  return entries;
}

/** `a` followed by the entries of `b` it lacks. */
export function mergeRedactions(a: readonly RedactionEntry[], b: readonly RedactionEntry[]): RedactionEntry[] {
  const out = a.slice();
  for (const entry of b) {
    if (!out.some((existing) => existing.field === entry.field && existing.action === entry.action)) out.push(entry);
  }
  return out;
}
