import { setImmediate as nextTurn } from 'node:timers/promises';
import { openSqlite } from './driver-choice.js';
import type { SqliteDatabase } from './sqlite-driver.js';
import type { SqliteStoreHandle } from './store-handle.js';
import { LedgerChainVerifier, type StoredLedgerRow } from '../ledger-verifier.js';
import { AuditChainVerifier, type StoredAuditRow } from '../audit-chain.js';
import { verifyRecord, VERIFIED_DECISION_COLUMNS } from '../record-verifier.js';
import type { ChainHeads } from '../witness/chain-heads.js';
import { checkWitness, type WitnessLookup } from '../witness/witness-check.js';
import { witnessedHeads } from '../witness/witnessed-heads.js';
import type { LedgerCheckpoint, LedgerProblem, LedgerVerification, VerifyLedgerOptions } from '../store.js';

/** Ledger rows verified between two yields to the event loop. */
const VERIFY_ROWS_PER_TURN = 2000;

/** Every tenant's chain, or (`tenant` given) one: bind the tenant to each statement then. */
function prepareVerification(db: SqliteDatabase, tenant: string | null) {
  const only = tenant === null ? '' : 'WHERE tenant_id = ?';
  const params: string[] = tenant === null ? [] : [tenant];
  const ledgerInChainOrder = db.prepare<string[], StoredLedgerRow>(
    `SELECT row_id AS row, tenant_id, seq, event_id, decision_id, event_type, timestamp, received_at, event, prev_hash, hash
     FROM ledger ${only} ORDER BY tenant_id, seq`,
  );
  const recordEventCounts = db.prepare<string[], { tenant_id: string; events: number }>(
    `SELECT tenant_id, SUM(event_count) AS events FROM decisions ${only} GROUP BY tenant_id`,
  );
  const checkpoints = db.prepare<string[], LedgerCheckpoint>(
    `SELECT tenant_id, seq, hash, removed, created_at FROM ledger_checkpoints ${only} ORDER BY tenant_id, seq`,
  );
  const decisionsInOrder = db
    .prepare<string[], [string, string, string | null, string, ...unknown[]]>(
      `SELECT tenant_id, id, event_seqs, record, ${VERIFIED_DECISION_COLUMNS.join(', ')} FROM decisions ${only} ORDER BY tenant_id, id`,
    )
    .raw();
  // Only live rows: retention empties the events of the decisions it deletes. CROSS JOIN keeps
  // SQLite driving from the seqs (a plain JOIN let it scan the tenant's ledger per decision).
  const eventsAt = db.prepare<[string | null, string], { seq: number; decision_id: string; event: string }>(
    `SELECT l.seq, l.decision_id, l.event FROM json_each('[' || coalesce(?, '') || ']') s
     CROSS JOIN ledger l ON l.tenant_id = ? AND l.seq = s.value ORDER BY l.seq`,
  );
  const auditInChainOrder = db.prepare<[], StoredAuditRow>(
    `SELECT row_id, seq, at, key_name, role, tenant, method, path, query, status, prev_hash, hash FROM audit_log
     ORDER BY seq IS NULL, seq, row_id`,
  );
  const ledgerHash = db.prepare<[string, number], string>('SELECT hash FROM ledger WHERE tenant_id = ? AND seq = ?').pluck();
  const newestCheckpoint = db.prepare<[string], { seq: number; hash: string }>(
    'SELECT seq, hash FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1',
  );
  const auditHash = db.prepare<[number], string>('SELECT hash FROM audit_log WHERE seq = ?').pluck();
  return {
    ledgerInChainOrder: () => ledgerInChainOrder.iterate(...params),
    recordEventCounts: () => recordEventCounts.all(...params),
    checkpoints: () => checkpoints.all(...params),
    decisionsInOrder: () => decisionsInOrder.iterate(...params),
    /** A decision's events by the seqs its row lists; verifyRecord checks they are its own. */
    eventsAt: (tenant: string, seqs: string | null) => eventsAt.all(seqs, tenant),
    auditInChainOrder: () => auditInChainOrder.iterate(),
    witnessLookup: {
      ledgerHash: (tenant: string, seq: number) => ledgerHash.get(tenant, seq),
      newestCheckpoint: (tenant: string) => newestCheckpoint.get(tenant),
      auditHash: (seq: number) => auditHash.get(seq),
    } satisfies WitnessLookup,
  };
}

/**
 * The SQLite store's verification: the ledger chains, each record against its events, the audit
 * chain and the witnessed heads, read on a connection of its own so that it sees one snapshot
 * while appends go on.
 */
export class SqliteLedgerVerification {
  readonly #handle: SqliteStoreHandle;
  /** Verification reads from its own connection so that it sees one snapshot while appends go on. */
  #verifyReader: SqliteDatabase | null = null;
  #verifications: Promise<unknown> = Promise.resolve();

  constructor(handle: SqliteStoreHandle) {
    this.#handle = handle;
  }

  verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    // One verification at a time: they share the reader connection and its snapshot.
    const tenant = opts.tenant === undefined || opts.tenant === '' ? null : opts.tenant;
    let witnessed: ChainHeads | null;
    try {
      witnessed = witnessedHeads(opts.witness, this.#handle.witness);
    } catch (error) {
      return Promise.reject(error);
    }
    const verification = this.#verifications.then(() => this.#verify(tenant, witnessed, opts.onProgress));
    this.#verifications = verification.catch(() => undefined);
    return verification;
  }

  /** Resolves once the verifications under way have ended. */
  settled(): Promise<unknown> {
    return this.#verifications;
  }

  closeReader(): void {
    this.#verifyReader?.close();
  }

  async #verify(tenant: string | null, witnessed: ChainHeads | null, onProgress?: (checked: number) => void): Promise<LedgerVerification> {
    this.#handle.assertOpen();
    const db = this.#handle.db;
    const file = this.#handle.file;
    // An in-memory database has no second connection; it is verified in one synchronous pass.
    const reader = file === null ? db : this.#reader(file);
    const separateReader = reader !== db;
    const statements = prepareVerification(reader, tenant);
    const verifier = new LedgerChainVerifier();
    let sinceYield = 0;
    const pace = async (report?: () => void): Promise<void> => {
      if (separateReader && ++sinceYield === VERIFY_ROWS_PER_TURN) {
        sinceYield = 0;
        report?.();
        await nextTurn();
      }
    };
    if (separateReader) reader.exec('BEGIN');
    try {
      const broken = (problem: LedgerProblem): LedgerVerification => ({ ok: false, checked: verifier.checked, first_broken: problem });
      const checkpointProblem = verifier.startFromCheckpoints(statements.checkpoints());
      if (checkpointProblem !== null) return broken(checkpointProblem);
      for (const row of statements.ledgerInChainOrder()) {
        const problem = verifier.check(row);
        if (problem !== null) return broken(problem);
        await pace(() => onProgress?.(verifier.checked));
      }
      const counts = new Map(statements.recordEventCounts().map((row) => [row.tenant_id, row.events]));
      const chainProblem = verifier.finish(counts);
      if (chainProblem !== null) return broken(chainProblem);

      for (const row of statements.decisionsInOrder()) {
        const [tenantId, id, eventSeqs, record, ...columns] = row;
        const events = statements.eventsAt(tenantId, eventSeqs);
        const problem = verifyRecord({ tenant_id: tenantId, id, record, columns, events });
        if (problem !== null) return broken(problem);
        await pace();
      }

      if (tenant === null) {
        const audit = new AuditChainVerifier();
        for (const row of statements.auditInChainOrder()) {
          const problem = audit.check(row);
          if (problem !== null) return broken(problem);
          await pace();
        }
      }

      if (witnessed !== null) {
        const problem = await checkWitness(witnessed, statements.witnessLookup, { tenant });
        if (problem !== null) return broken(problem);
      }
      return { ok: true, checked: verifier.checked, first_broken: null };
    } finally {
      if (separateReader) reader.exec('COMMIT');
    }
  }

  #reader(file: string): SqliteDatabase {
    if (this.#verifyReader === null) {
      this.#verifyReader = openSqlite(file, { readonly: true });
      this.#verifyReader.pragma('busy_timeout = 5000');
    }
    return this.#verifyReader;
  }
}
