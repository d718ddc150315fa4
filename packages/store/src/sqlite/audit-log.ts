import type { SqliteStoreHandle } from './store-handle.js';
import { auditPage, auditRowValues, normalizeAuditQuery, type AuditRow } from '../audit-query.js';
import { auditPageSql } from '../audit-sql.js';
import { auditEntryHash, nextAuditLink } from '../audit-chain.js';
import type { ChainHead } from '../witness/chain-heads.js';
import type { AuditEntry, AuditPage, AuditQuery } from '../store.js';

/** The SQLite store's audit log: hash-chained entries of the decision API's reads. */
export class SqliteAuditLog {
  readonly #handle: SqliteStoreHandle;

  constructor(handle: SqliteStoreHandle) {
    this.#handle = handle;
  }

  appendAudit(entries: AuditEntry[]): void {
    this.#handle.assertOpen();
    if (entries.length === 0) return;
    const rows = entries.map(auditRowValues);
    const insert = this.#handle.prepared(
      `INSERT INTO audit_log (at, at_micros, key_name, role, tenant, method, path, query, status, seq, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const selectTail = this.#handle.prepared<ChainHead>(AUDIT_TAIL_SQL);
    // The tail is read inside the IMMEDIATE transaction: another process appending to the same
    // file waits for the write lock, so the chain never forks.
    const tail = this.#handle.db
      .transaction(() => {
        let tail = selectTail.get() ?? null;
        for (const row of rows) {
          const { seq, prevHash } = nextAuditLink(tail);
          const [at, , key_name, role, tenant, method, path, query, status] = row;
          const hash = auditEntryHash(prevHash, { seq, at, key_name, role, tenant, method, path, query, status });
          insert.run(...row, seq, prevHash, hash);
          tail = { seq, hash };
        }
        return tail;
      })
      .immediate();
    if (tail !== null) this.#handle.witness?.noteAudit(tail);
  }

  queryAudit(query: AuditQuery): AuditPage {
    this.#handle.assertOpen();
    const normalized = normalizeAuditQuery(query);
    const params: unknown[] = [];
    const sql = auditPageSql(normalized, (value) => {
      params.push(value);
      return '?';
    });
    return auditPage(this.#handle.prepared<AuditRow>(sql).all(...params), normalized.limit);
  }

  /** The audit chain's newest link; null while the log is empty. */
  tail(): ChainHead | null {
    return this.#handle.prepared<ChainHead>(AUDIT_TAIL_SQL).get() ?? null;
  }
}

const AUDIT_TAIL_SQL = 'SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1';
