import { flattenJsonNesting, MAX_NESTING_DEPTH, parseJsonExact, type DecisionRecord } from '@decision-trace/model';

/**
 * The JSON a stored record, event or context span may nest when read: a value at the input
 * limit (MAX_NESTING_DEPTH) plus the levels around it (record, evidence, policy check, event,
 * payload), with room to spare. Every input path refuses deeper values, but a database written
 * before the limit existed may hold one a few thousand levels deep; read as it is, it would
 * overflow the stack when copied out of the store worker or served.
 */
export const STORED_JSON_NESTING = MAX_NESTING_DEPTH + 8;

/**
 * Parses stored JSON; parts nested past STORED_JSON_NESTING come back as their JSON text.
 * Exactly: integers beyond 2^53 come back as the bigints they were (exact-json.ts).
 */
export function parseStoredJson<T>(json: string): T {
  return parseJsonExact(flattenJsonNesting(json, STORED_JSON_NESTING).text) as T;
}

/** parseStoredJson for a record, which also says (a flag) that parts of it came back as text. */
export function parseStoredRecord(json: string): DecisionRecord {
  const { text, flattened } = flattenJsonNesting(json, STORED_JSON_NESTING);
  const record = parseJsonExact(text) as DecisionRecord;
  if (flattened > 0 && Array.isArray(record.flags)) {
    record.flags.push({
      code: 'invalid_value',
      field: 'record',
      detail: `${flattened} value(s) nested deeper than ${STORED_JSON_NESTING} levels are shown as their JSON text`,
    });
  }
  return record;
}
