import type { PostgresStoreHandle } from './store-handle.js';
import { inTransaction } from './transaction.js';
import { auditPage, auditRowValues, normalizeAuditQuery, type AuditRow } from '../audit-query.js';
import { auditPageSql } from '../audit-sql.js';
import { auditEntryHash, nextAuditLink } from '../audit-chain.js';
import type { ChainHead } from '../witness/chain-heads.js';
import type { AuditEntry, AuditPage, AuditQuery } from '../store.js';

const AUDIT_TAIL_SQL = 'SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1';

/** The PostgreSQL store's audit log: hash-chained entries of the decision API's reads. */
export class PostgresAuditLog {
  readonly #handle: PostgresStoreHandle;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  /**
   * The table is locked (EXCLUSIVE: reads go on, other writers wait) while the chain's tail is
   * read and extended, so writers in several processes never fork it.
   */
  async appendAudit(entries: AuditEntry[]): Promise<void> {
    this.#handle.assertOpen();
    if (entries.length === 0) return;
    const rows = entries.map(auditRowValues);
    const tail = await inTransaction(this.#handle.pool, 'BEGIN', async (client) => {
      await client.query('LOCK TABLE audit_log IN EXCLUSIVE MODE');
      const found = await client.query<ChainHead>(AUDIT_TAIL_SQL);
      let tail: ChainHead | null = found.rows[0] ?? null;
      const columns: unknown[][] = Array.from({ length: 12 }, () => []);
      for (const row of rows) {
        const { seq, prevHash } = nextAuditLink(tail);
        const [at, , key_name, role, tenant, method, path, query, status] = row;
        const hash = auditEntryHash(prevHash, { seq, at, key_name, role, tenant, method, path, query, status });
        [...row, seq, prevHash, hash].forEach((value, i) => columns[i]!.push(value));
        tail = { seq, hash };
      }
      await client.query(
        `INSERT INTO audit_log (at, at_micros, key_name, role, tenant, method, path, query, status, seq, prev_hash, hash)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::integer[], $10::bigint[], $11::text[], $12::text[])`,
        columns,
      );
      return tail;
    });
    if (tail !== null) this.#handle.witness?.noteAudit(tail);
  }

  async queryAudit(query: AuditQuery): Promise<AuditPage> {
    this.#handle.assertOpen();
    const normalized = normalizeAuditQuery(query);
    const params: unknown[] = [];
    const sql = auditPageSql(normalized, (value) => {
      params.push(value);
      return `$${params.length}`;
    });
    const { rows } = await this.#handle.pool.query<AuditRow>(sql, params);
    return auditPage(rows, normalized.limit);
  }

  /** The audit chain's newest link; null while the log is empty. */
  async tail(): Promise<ChainHead | null> {
    const audit = await this.#handle.pool.query<ChainHead>(AUDIT_TAIL_SQL);
    return audit.rows[0] ?? null;
  }
}
