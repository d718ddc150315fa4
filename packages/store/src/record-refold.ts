import { applyEvent, parseJsonExact, type DecisionEvent, type DecisionRecord } from '@decision-trace/model';
import { DECISION_COLUMNS, decisionRowValues } from './decision-row.js';

/**
 * A decision record folded again from its ledger events with today's reducer, keeping what
 * does not come from events (token usage, rolled up from context spans). Migrations use it when
 * the reducer changes what a record holds, so that every record is the fold of its events under
 * the reducer that verification uses (record-verifier.ts); records of decisions without a live
 * event are left as they are (verification reports them).
 */
export function refoldRecord(stored: DecisionRecord, events: readonly unknown[]): DecisionRecord | null {
  let folded: DecisionRecord | undefined;
  for (const event of events) {
    const parsed = typeof event === 'string' ? (parseJsonExact(event) as DecisionEvent) : (event as DecisionEvent);
    folded = applyEvent(folded, parsed);
  }
  if (folded === undefined) return null;
  return { ...folded, token_usage: stored.token_usage ?? null, token_usage_with_nested: stored.token_usage_with_nested ?? null };
}

/** The decisions table's columns after tenant_id and id, as `SET` assignments in row order. */
export const REFOLDED_COLUMNS = DECISION_COLUMNS.slice(2);

/** The values for REFOLDED_COLUMNS. */
export function refoldedValues(record: DecisionRecord): unknown[] {
  return decisionRowValues(record).slice(2);
}
