import type { RecordFlag } from './decision-notes.js';
import { tryParseJson } from './attribute-values.js';
import { stringifyJsonExact } from './exact-json.js';

/**
 * Normalisation of the decision fields whose wire form is loose (a confidence sent as text,
 * factors and alternatives sent as JSON strings). Inputs are already JSON values (see
 * toJsonValue). Nothing is dropped: a value that is not what it should be is kept as given
 * and a flag says why, so the record shows the problem instead of hiding the data.
 */

/** A number, or a numeric string turned into a number; anything else kept and flagged. */
export function normalizeConfidence(value: unknown, flags: RecordFlag[]): unknown {
  let confidence: number | null = null;
  if (typeof value === 'number') confidence = value;
  else if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (!Number.isNaN(parsed)) confidence = parsed;
  }
  if (confidence === null || !Number.isFinite(confidence)) {
    flags.push({ code: 'invalid_value', field: 'confidence', detail: 'confidence must be a number between 0 and 1' });
    return value;
  }
  if (confidence < 0 || confidence > 1) {
    flags.push({ code: 'confidence_out_of_range', field: 'confidence', detail: 'confidence must be between 0 and 1' });
  }
  return confidence;
}

/** An object, or a JSON object string parsed; otherwise the raw text, flagged. */
export function normalizeFactors(value: unknown, flags: RecordFlag[]): unknown {
  if (isPlainObject(value)) return value;
  return parseJsonText(value, 'factors', isPlainObject, 'a JSON object', flags);
}

/** An array, or a JSON array string parsed; otherwise the raw text, flagged. */
export function normalizeAlternatives(value: unknown, flags: RecordFlag[]): unknown {
  if (Array.isArray(value)) return value;
  return parseJsonText(value, 'alternatives', Array.isArray, 'a JSON array', flags);
}

/** Parses strings that look like a JSON object or array; other values are returned as they are. */
export function parseJsonIfStructured(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  const parsed = tryParseJson(value);
  return parsed.ok ? parsed.value : value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonText(value: unknown, field: string, hasExpectedShape: (parsed: unknown) => boolean, expected: string, flags: RecordFlag[]): unknown {
  if (typeof value !== 'string') {
    // Records hold these fields as the expected shape or as text; keep other shapes as text.
    flags.push({ code: 'invalid_value', field, detail: `${field} must be ${expected}` });
    return stringifyJsonExact(value);
  }
  const parsed = tryParseJson(value);
  if (!parsed.ok) {
    flags.push({ code: 'invalid_json', field, detail: parsed.detail });
    return value;
  }
  if (!hasExpectedShape(parsed.value)) {
    flags.push({ code: 'invalid_value', field, detail: `${field} must be ${expected}` });
    return value;
  }
  return parsed.value;
}
