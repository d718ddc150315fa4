import { withSchemaEventType, type DecisionEvent } from '@decision-trace/model';
import type { PostgresStoreHandle } from './store-handle.js';
import { decisionPageSql } from './page-sql.js';
import { encodeCursor } from '../decision-order.js';
import { normalizeDecisionQuery } from '../decision-query.js';
import { parseStoredJson, parseStoredRecord } from '../stored-json.js';
import type { DecisionDetail, DecisionQuery, LedgerEntry, QueryPage } from '../store.js';

/** The PostgreSQL store's decision reads: one decision with its ledger events, and pages of decisions. */
export class PostgresDecisionReads {
  readonly #handle: PostgresStoreHandle;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  async getDecision(id: string, opts: { tenant?: string } = {}): Promise<DecisionDetail[]> {
    // One statement, so the record and its events come from the same snapshot.
    const tenantFilter = opts.tenant === undefined ? '' : 'AND tenant_id = $2';
    const { rows } = await this.#handle.pool.query<{
      tenant_id: string;
      record: string;
      seq: number | null;
      event: string | null;
      received_at: string | null;
      prev_hash: string | null;
      hash: string | null;
    }>(
      `WITH found AS (SELECT tenant_id, record FROM decisions WHERE id = $1 ${tenantFilter})
       SELECT found.tenant_id, found.record, l.seq, l.event, l.received_at, l.prev_hash, l.hash
       FROM found LEFT JOIN ledger l ON l.tenant_id = found.tenant_id AND l.decision_id = $1
       ORDER BY found.tenant_id, l.seq`,
      opts.tenant === undefined ? [id] : [id, opts.tenant],
    );
    const details: DecisionDetail[] = [];
    for (const row of rows) {
      let detail = details.at(-1);
      if (detail === undefined || detail.record.tenant !== row.tenant_id) {
        detail = { record: parseStoredRecord(row.record), events: [] };
        details.push(detail);
      }
      if (row.seq === null || row.event === null) continue;
      detail.events.push({
        tenant_id: row.tenant_id,
        seq: row.seq,
        // Rows of earlier releases name event types without `decision.` (see the SQLite store).
        event: withSchemaEventType(parseStoredJson<DecisionEvent>(row.event)),
        received_at: row.received_at!,
        prev_hash: row.prev_hash!,
        hash: row.hash!,
      } satisfies LedgerEntry);
    }
    return details;
  }

  async queryDecisions(query: DecisionQuery): Promise<QueryPage> {
    const normalized = normalizeDecisionQuery(query);
    const { sql, params } = decisionPageSql(normalized);
    const { rows } = await this.#handle.pool.query<{ sort_time: number; id: string; tenant_id: string; record: string }>(sql, params);
    const hasMore = rows.length > normalized.limit;
    const page = hasMore ? rows.slice(0, normalized.limit) : rows;
    const last = page.at(-1);
    return {
      decisions: page.map((row) => parseStoredRecord(row.record)),
      next_cursor: hasMore && last ? encodeCursor({ time: last.sort_time, id: last.id, tenant: last.tenant_id }) : null,
    };
  }
}
