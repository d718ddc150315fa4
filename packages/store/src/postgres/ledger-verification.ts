import type pg from 'pg';
import type { PostgresStoreHandle } from './store-handle.js';
import { inTransaction } from './transaction.js';
import { LedgerChainVerifier, type StoredLedgerRow } from '../ledger-verifier.js';
import { AuditChainVerifier, type StoredAuditRow } from '../audit-chain.js';
import { verifyRecord, VERIFIED_DECISION_COLUMNS, type StoredDecisionRow } from '../record-verifier.js';
import { checkWitness } from '../witness/witness-check.js';
import { witnessedHeads } from '../witness/witnessed-heads.js';
import type { LedgerCheckpoint, LedgerProblem, LedgerVerification, VerifyLedgerOptions } from '../store.js';

/** Ledger rows fetched per round trip while verifying. */
const VERIFY_ROWS_PER_FETCH = 2000;

/**
 * The PostgreSQL store's verification: the ledger chains, each record against its events, the
 * audit chain and the witnessed heads, in one read-only snapshot.
 */
export class PostgresLedgerVerification {
  readonly #handle: PostgresStoreHandle;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  /** Reads one snapshot (REPEATABLE READ) through cursors, a batch of rows per round trip. */
  async verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    this.#handle.assertOpen();
    const tenant = opts.tenant === undefined || opts.tenant === '' ? null : opts.tenant;
    const witnessed = witnessedHeads(opts.witness, this.#handle.witness);
    return inTransaction(this.#handle.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
      // DECLARE takes no bind parameters: the tenant is written as an escaped literal.
      const only = tenant === null ? '' : `WHERE tenant_id = ${client.escapeLiteral(tenant)}`;
      const verifier = new LedgerChainVerifier();
      const broken = (problem: LedgerProblem): LedgerVerification => ({ ok: false, checked: verifier.checked, first_broken: problem });
      const checkpoints = await client.query<LedgerCheckpoint>(
        `SELECT tenant_id, seq, hash, removed, created_at FROM ledger_checkpoints ${only} ORDER BY tenant_id, seq`,
      );
      const checkpointProblem = verifier.startFromCheckpoints(checkpoints.rows);
      if (checkpointProblem !== null) return broken(checkpointProblem);
      const ledgerProblem = await eachRow<StoredLedgerRow>(
        client,
        `SELECT row_id AS row, tenant_id, seq, event_id, decision_id, event_type, timestamp, received_at, event, prev_hash, hash
         FROM ledger ${only} ORDER BY tenant_id, seq`,
        (row) => verifier.check(row),
        () => opts.onProgress?.(verifier.checked),
      );
      if (ledgerProblem !== null) return broken(ledgerProblem);
      const counts = await client.query<{ tenant_id: string; events: number }>(
        `SELECT tenant_id, SUM(event_count)::bigint AS events FROM decisions ${only} GROUP BY tenant_id`,
      );
      const chainProblem = verifier.finish(new Map(counts.rows.map((row) => [row.tenant_id, row.events])));
      if (chainProblem !== null) return broken(chainProblem);

      // Each record with its live events, in seq order: one row per event (one with nulls for a record without any).
      let current: StoredDecisionRow | null = null;
      const recordProblem = await eachRow<Record<string, unknown>>(
        client,
        `SELECT ${VERIFIED_DECISION_COLUMNS.map((column) => `d.${column}`).join(', ')}, d.record,
                l.seq AS event_seq, l.decision_id AS event_decision_id, l.event AS event_json
         FROM decisions d LEFT JOIN ledger l ON l.tenant_id = d.tenant_id AND l.decision_id = d.id AND l.event IS NOT NULL
         ${tenant === null ? '' : `WHERE d.tenant_id = ${client.escapeLiteral(tenant)}`}
         ORDER BY d.tenant_id, d.id, l.seq`,
        (row) => {
          let problem: LedgerProblem | null = null;
          if (current === null || current.tenant_id !== row.tenant_id || current.id !== row.id) {
            if (current !== null) problem = verifyRecord(current);
            current = {
              tenant_id: row.tenant_id as string,
              id: row.id as string,
              record: row.record,
              columns: VERIFIED_DECISION_COLUMNS.map((column) => row[column]),
              events: [],
            };
          }
          if (row.event_seq !== null) {
            (current.events as Array<StoredDecisionRow['events'][number]>).push({
              seq: row.event_seq as number,
              decision_id: row.event_decision_id as string,
              event: row.event_json,
            });
          }
          return problem;
        },
      );
      if (recordProblem !== null) return broken(recordProblem);
      const lastRecord = current === null ? null : verifyRecord(current);
      if (lastRecord !== null) return broken(lastRecord);

      if (tenant === null) {
        const audit = new AuditChainVerifier();
        const auditProblem = await eachRow<StoredAuditRow>(
          client,
          `SELECT row_id, seq, at, key_name, role, tenant, method, path, query, status, prev_hash, hash FROM audit_log
           ORDER BY seq IS NULL, seq, row_id`,
          (row) => audit.check(row),
        );
        if (auditProblem !== null) return broken(auditProblem);
      }

      if (witnessed !== null) {
        const first = async <T>(sql: string, params: unknown[]): Promise<T | undefined> => (await client.query<T & pg.QueryResultRow>(sql, params)).rows[0];
        const problem = await checkWitness(
          witnessed,
          {
            ledgerHash: async (t, seq) => (await first<{ hash: string }>('SELECT hash FROM ledger WHERE tenant_id = $1 AND seq = $2', [t, seq]))?.hash,
            newestCheckpoint: (t) =>
              first<{ seq: number; hash: string }>('SELECT seq, hash FROM ledger_checkpoints WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1', [t]),
            auditHash: async (seq) => (await first<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [seq]))?.hash,
          },
          { tenant },
        );
        if (problem !== null) return broken(problem);
      }
      return { ok: true, checked: verifier.checked, first_broken: null };
    });
  }
}

/**
 * Streams the rows of `sql` through a cursor, a batch per round trip, until `check` names a
 * problem. One cursor at a time per transaction (they share its name).
 */
async function eachRow<Row>(
  client: pg.PoolClient,
  sql: string,
  check: (row: Row) => LedgerProblem | null,
  afterBatch?: () => void,
): Promise<LedgerProblem | null> {
  await client.query(`DECLARE verify_rows NO SCROLL CURSOR FOR ${sql}`);
  try {
    for (;;) {
      const { rows } = await client.query(`FETCH FORWARD ${VERIFY_ROWS_PER_FETCH} FROM verify_rows`);
      for (const row of rows) {
        const problem = check(row as Row);
        if (problem !== null) return problem;
      }
      afterBatch?.();
      if (rows.length < VERIFY_ROWS_PER_FETCH) return null;
    }
  } finally {
    await client.query('CLOSE verify_rows');
  }
}
