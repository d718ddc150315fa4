import { withSchemaEventType, type DecisionEvent } from '@decision-trace/model';
import type { SqliteDatabase } from './sqlite-driver.js';
import type { SqliteStoreHandle } from './store-handle.js';
import { encodeCursor } from '../decision-order.js';
import { normalizeDecisionQuery } from '../decision-query.js';
import { decisionPageSql, SQLITE_DIALECT } from '../bound-sql.js';
import { parseStoredJson, parseStoredRecord } from '../stored-json.js';
import type { DecisionDetail, DecisionQuery, LedgerEntry, QueryPage } from '../store.js';

interface LedgerEntryRow {
  tenant_id: string;
  seq: number;
  event: string;
  received_at: string;
  prev_hash: string;
  hash: string;
}

interface DecisionRow {
  tenant_id: string;
  record: string;
}

interface PageRow {
  sort_time: number;
  id: string;
  tenant_id: string;
  record: string;
}

function prepareStatements(db: SqliteDatabase) {
  return {
    // The primary key probed once per tenant: the tenants are walked through an index that leads
    // with tenant_id, one seek each, so this costs (tenants × log n) without an index on id.
    selectDecisionsById: db.prepare<[string], DecisionRow>(
      `WITH RECURSIVE tenants(tenant_id) AS (
         SELECT min(tenant_id) FROM decisions
         UNION ALL
         SELECT (SELECT min(tenant_id) FROM decisions WHERE tenant_id > t.tenant_id) FROM tenants t WHERE t.tenant_id IS NOT NULL
       )
       SELECT d.tenant_id, d.record FROM tenants t CROSS JOIN decisions d ON d.tenant_id = t.tenant_id AND d.id = ?
       ORDER BY d.tenant_id`,
    ),
    selectTenantDecision: db.prepare<[string, string], DecisionRow>('SELECT tenant_id, record FROM decisions WHERE tenant_id = ? AND id = ?'),
    selectDecisionEvents: db.prepare<[string, string], LedgerEntryRow>(
      `SELECT l.tenant_id, l.seq, l.event, l.received_at, l.prev_hash, l.hash
       FROM decisions d CROSS JOIN json_each('[' || d.event_seqs || ']') s CROSS JOIN ledger l ON l.tenant_id = d.tenant_id AND l.seq = s.value
       WHERE d.tenant_id = ? AND d.id = ? ORDER BY l.seq`,
    ),
  };
}

/** The SQLite store's decision reads: one decision with its ledger events, and pages of decisions. */
export class SqliteDecisionReads {
  readonly #handle: SqliteStoreHandle;
  readonly #statements: ReturnType<typeof prepareStatements>;

  constructor(handle: SqliteStoreHandle) {
    this.#handle = handle;
    this.#statements = prepareStatements(handle.db);
  }

  getDecision(id: string, tenant: string | undefined): DecisionDetail[] {
    const rows = tenant === undefined ? this.#statements.selectDecisionsById.all(id) : this.#statements.selectTenantDecision.all(tenant, id);
    return rows.map((row) => ({
      record: parseStoredRecord(row.record),
      events: this.#statements.selectDecisionEvents.all(row.tenant_id, id).map(toLedgerEntry),
    }));
  }

  queryDecisions(query: DecisionQuery): QueryPage {
    const normalized = normalizeDecisionQuery(query);
    const { sql, params } = decisionPageSql(SQLITE_DIALECT, normalized);
    const rows = this.#handle.prepared<PageRow>(sql).all(...params);
    const hasMore = rows.length > normalized.limit;
    const page = hasMore ? rows.slice(0, normalized.limit) : rows;
    const last = page.at(-1);
    return {
      decisions: page.map((row) => parseStoredRecord(row.record)),
      next_cursor: hasMore && last ? encodeCursor({ time: last.sort_time, id: last.id, tenant: last.tenant_id }) : null,
    };
  }
}

function toLedgerEntry(row: LedgerEntryRow): LedgerEntry {
  return {
    tenant_id: row.tenant_id,
    seq: row.seq,
    // Rows of earlier releases name event types without `decision.`: read under schema 1.0's
    // names (the hash covers the stored bytes, which verification reads, not this value).
    event: withSchemaEventType(parseStoredJson<DecisionEvent>(row.event)),
    received_at: row.received_at,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
