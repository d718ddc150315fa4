import { applyEvent, emptyRecord, parseJsonExact, type DecisionEvent, type DecisionRecord } from '@decision-trace/model';
import { DECISION_COLUMNS, decisionRowValues } from './decision-row.js';
import { ledgerCanonicalJson } from './ledger-hash.js';
import type { LedgerProblem } from './store.js';

/**
 * A decision row as a backend reads it back for verification: the record JSON, the columns that
 * filters and stats read instead of the JSON (in decisionRowValues order, without `record`), and
 * the decision's live ledger events in seq order.
 */
export interface StoredDecisionRow {
  tenant_id: string;
  id: string;
  /** JSON text, or the already parsed value. */
  record: unknown;
  columns: readonly unknown[];
  events: ReadonlyArray<{ seq: number; decision_id: string; event: unknown }>;
}

/** `record` is compared as JSON instead of as a column. */
const RECORD_COLUMN = DECISION_COLUMNS.indexOf('record');

/** The columns a backend selects for `columns`, in order. */
export const VERIFIED_DECISION_COLUMNS = DECISION_COLUMNS.filter((column) => column !== 'record');

/**
 * Token usage is not folded from events: the store rolls it up from the trace's context spans,
 * which are not hash-chained. Verification takes it from the stored record and only checks that
 * the token columns agree with it (see verifyRecord).
 */
const FROM_CONTEXT_SPANS = ['token_usage', 'token_usage_with_nested'] as const;

/**
 * Checks one materialised decision record against the fold of its ledger events with the
 * reducer that built it (applyEvent, in seq order): every field of the record JSON and every
 * column copied out of it. Returns the first difference, or null.
 *
 * A field the stored JSON lacks counts as the empty record's value for it, so records written
 * before a field existed (which lack it) verify as long as their events give it no value.
 */
export function verifyRecord(row: StoredDecisionRow): LedgerProblem | null {
  const where = (reason: string, seq = row.events[0]?.seq ?? 0): LedgerProblem => ({
    tenant_id: row.tenant_id,
    seq,
    event_id: '',
    row: 0,
    reason: `decision record ${JSON.stringify(row.id)}: ${reason}`,
    kind: 'record',
    decision_id: row.id,
  });
  const stored = parseObject(row.record);
  if (stored === undefined) return where('the record is not a JSON object');
  if (row.events.length === 0) return where('no ledger event of this decision is left to build it from');

  let folded: DecisionRecord | undefined;
  for (const { seq, decision_id, event } of row.events) {
    const parsed = parseObject(event);
    if (parsed === undefined) return where(`the ledger event at seq ${seq} is not a JSON object`, seq);
    if (decision_id !== row.id) return where(`lists the ledger event at seq ${seq}, which belongs to decision ${JSON.stringify(decision_id)}`, seq);
    folded = applyEvent(folded, parsed as unknown as DecisionEvent);
  }
  const expected: DecisionRecord = { ...folded! };
  for (const field of FROM_CONTEXT_SPANS) {
    (expected as unknown as Record<string, unknown>)[field] = (stored[field] ?? null) as never;
  }

  const defaults = emptyRecord(row.id, row.tenant_id) as unknown as Record<string, unknown>;
  const fields = new Set([...Object.keys(expected), ...Object.keys(stored)]);
  for (const field of fields) {
    if (!(field in defaults)) return where(`holds a field "${field}" that no decision record has`);
    const want = ledgerCanonicalJson((expected as unknown as Record<string, unknown>)[field] ?? null);
    const have = ledgerCanonicalJson(field in stored ? stored[field] : defaults[field]);
    if (want !== have) return where(`${field} is ${clip(have)} but its ledger events give ${clip(want)}`);
  }

  const columns = decisionRowValues(expected);
  columns.splice(RECORD_COLUMN, 1);
  for (let i = 0; i < VERIFIED_DECISION_COLUMNS.length; i++) {
    const want = columns[i] ?? null;
    const have = row.columns[i] ?? null;
    if (!sameColumnValue(want, have)) {
      return where(`column ${VERIFIED_DECISION_COLUMNS[i]} is ${clip(JSON.stringify(have))} but its ledger events give ${clip(JSON.stringify(want))}`);
    }
  }
  return null;
}

/** Backends return 0/1 for booleans and numbers for numeric columns; compare by value. */
function sameColumnValue(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  if (typeof want === 'number' && typeof have === 'number') return Object.is(want, have) || want === have;
  if (typeof want === 'number' && typeof have === 'string') return String(want) === have;
  return false;
}

function parseObject(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      // Exactly, as the store reads them: an integer beyond 2^53 edited by one is a difference.
      parsed = parseJsonExact(value);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** Problems name values, which can be long: keep the report readable. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
