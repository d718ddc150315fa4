import type { ReadonlyAttributeValue } from '../readonly-otlp-types.js';
import type { RedactionEntry } from '../decision-notes.js';

/**
 * The `dt.redactions` attribute: a JSON array of `{field, action}` that the redaction processor
 * leaves on each resource, span or span event it changed, so the decision extractor (possibly in
 * another collector further down) can tell the record which fields were redacted.
 */
export function encodeRedactions(entries: readonly RedactionEntry[]): string {
  return JSON.stringify(entries.map(({ field, action }) => ({ field, action })));
}

/**
 * Attribute sets whose `dt.redactions` a redaction pass in this process wrote. A note that
 * arrived from outside (a client, or anything upstream) is a claim anyone can make — forged
 * notes, or raw values hidden in them — so a redaction pass trusts only these and drops the
 * rest (noting the drop). Weak: the sets go when the spans do.
 */
const writtenHere = new WeakSet<object>();

export function markNoteWrittenHere(attributes: object): void {
  writtenHere.add(attributes);
}

export function isNoteWrittenHere(attributes: object): boolean {
  return writtenHere.has(attributes);
}

/** What a redaction pass can have done to a field; a note naming anything else is not ours. */
const NOTED_ACTIONS = new Set(['drop', 'mask', 'hash', 'derive', 'truncate']);
/** Longer fields are not attribute paths a rule produced. */
const MAX_NOTED_FIELD_LENGTH = 1024;

/**
 * The entries of a `dt.redactions` value; anything malformed is ignored (it is only a note), and
 * so is an entry whose action is not one a redaction pass writes or whose field is too long to
 * be a path.
 */
export function decodeRedactions(value: ReadonlyAttributeValue | undefined): RedactionEntry[] {
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
    if (typeof field === 'string' && field !== '' && field.length <= MAX_NOTED_FIELD_LENGTH && typeof action === 'string' && NOTED_ACTIONS.has(action)) {
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
