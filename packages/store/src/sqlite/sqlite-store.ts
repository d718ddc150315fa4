import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openSqlite } from './driver-choice.js';
import type { ContextSpan, DecisionRecord, ReadonlyDecisionEvent, SelectedContextSpans } from '@decision-trace/model';
import type {
  AppendResult,
  AuditEntry,
  AuditPage,
  AuditQuery,
  DecisionDetail,
  DecisionFilter,
  DecisionQuery,
  DecisionStats,
  DecisionStore,
  LedgerVerification,
  NeighborQuery,
  OutcomeCount,
  QueryPage,
  RetentionPolicy,
  RetentionResult,
  StatsQuery,
  TraceDetail,
  VerifyLedgerOptions,
  WitnessOptions,
} from '../store.js';
import { migrate } from './migrate.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteStoreHandle } from './store-handle.js';
import { SqliteLedgerWriter } from './ledger-writer.js';
import { SqliteDecisionReads } from './decision-reads.js';
import { SqliteStatsReads } from './stats-reads.js';
import { SqliteAuditLog } from './audit-log.js';
import { SqliteLedgerVerification } from './ledger-verification.js';
import { SqliteRetention } from './retention.js';
import { SqliteTraceTables } from './trace-tables.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import type { AppendCall } from '../append-call.js';
import { emptyChainHeads } from '../witness/chain-heads.js';
import { refuseSecondWitness } from '../witness/witnessed-heads.js';
import { WitnessWriter } from '../witness/witness-writer.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { SqliteAlertsTable } from './alerts-table.js';

const IN_MEMORY = ':memory:';
/** WAL pages (4 KiB) written between two automatic checkpoints; SQLite's default is 1000. */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The default backend: one SQLite file (WAL), an append-only hash-chained ledger per tenant and
 * the materialised records beside it. Every append is one synchronous transaction, so
 * concurrent callers in this process are serialised by the event loop; other processes on the
 * same file are serialised by SQLite's write lock (see `append`).
 *
 * This class opens the connection and composes one module per concept, which share it through
 * SqliteStoreHandle: the ledger writer (ledger-writer.ts), decision reads (decision-reads.ts),
 * stats (stats-reads.ts), the audit log (audit-log.ts), verification (ledger-verification.ts),
 * retention (retention.ts), alerts (alerts-table.ts) and the trace tables (trace-tables.ts).
 */
export class SqliteDecisionStore implements DecisionStore {
  readonly #handle: SqliteStoreHandle;
  readonly #traces: SqliteTraceTables;
  /** Anomaly alerts (migration 11). */
  readonly #alerts: SqliteAlertsTable;
  readonly #ledger: SqliteLedgerWriter;
  readonly #reads: SqliteDecisionReads;
  readonly #stats: SqliteStatsReads;
  readonly #audit: SqliteAuditLog;
  readonly #verification: SqliteLedgerVerification;
  readonly #retention: SqliteRetention;
  #checkpointer: WalCheckpointer | null = null;

  /** `path`: a file (its directory is created) or `:memory:`. */
  constructor(path: string) {
    if (path === '') throw new Error('SQLite store needs a file path or :memory:');
    const file = path === IN_MEMORY ? null : resolve(path);
    if (file !== null) mkdirSync(dirname(file), { recursive: true });
    const db = openSqlite(file ?? IN_MEMORY);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // A checkpoint copies every page changed since the last one back into the database and
      // syncs it. Appends change many pages (random index leaves), mostly the same ones again:
      // checkpointing every ~40 MB instead of the default ~4 MB of WAL copies each page once per
      // longer stretch and syncs a tenth as often. The WAL file stays at that size.
      // Until the first append starts the checkpointer thread (wal-checkpointer.ts), and again
      // should that thread fail.
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      migrate(db, SQLITE_MIGRATIONS);
      this.#handle = new SqliteStoreHandle(db, file);
      this.#traces = new SqliteTraceTables(db);
      this.#alerts = new SqliteAlertsTable(db);
      this.#ledger = new SqliteLedgerWriter(this.#handle, this.#traces, () => this.#afterAppendCommit());
      this.#reads = new SqliteDecisionReads(this.#handle);
      this.#stats = new SqliteStatsReads(this.#handle);
      this.#audit = new SqliteAuditLog(this.#handle);
      this.#verification = new SqliteLedgerVerification(this.#handle);
      this.#retention = new SqliteRetention(this.#handle);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Appends are grouped: calls made in the same event-loop turn (concurrent requests) commit in
   * one transaction, which costs about as much as one call's alone. Each call resolves only
   * after that commit. If the group fails, each call is retried in a transaction of its own so
   * one bad call cannot fail the others. `appendContextSpans` calls join the same group.
   */
  append(events: readonly ReadonlyDecisionEvent[]): Promise<AppendResult> {
    return this.#ledger.append(events);
  }

  appendContextSpans(spans: ContextSpan[] | SelectedContextSpans): Promise<AppendResult> {
    return this.#ledger.appendContextSpans(spans);
  }

  /**
   * An append or appendContextSpans call already checked, encoded and packed by appendCallOf:
   * the worker store prepares its calls in the caller's thread and this one only commits them.
   */
  appendPrepared(call: AppendCall): Promise<AppendResult> {
    return this.#ledger.appendPrepared(call);
  }

  async getDecision(id: string, opts: { tenant?: string } = {}): Promise<DecisionDetail[]> {
    return this.#reads.getDecision(id, opts.tenant);
  }

  async queryDecisions(query: DecisionQuery): Promise<QueryPage> {
    return this.#reads.queryDecisions(query);
  }

  verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    return this.#verification.verifyLedger(opts);
  }

  async stats(query: StatsQuery): Promise<DecisionStats> {
    return this.#stats.stats(query);
  }

  async outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    return this.#stats.outcomeCounts(filter);
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    this.#audit.appendAudit(entries);
  }

  async queryAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#audit.queryAudit(query);
  }

  applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    return this.#retention.applyRetention(policies, now);
  }

  async attachWitness(options: WitnessOptions): Promise<void> {
    this.#handle.assertOpen();
    refuseSecondWitness(this.#handle.witness);
    const heads = emptyChainHeads();
    for (const row of this.#ledger.chainHeads()) heads.ledger.set(row.tenant_id, { seq: row.seq, hash: row.hash });
    heads.audit = this.#audit.tail();
    this.#handle.witness = new WitnessWriter(options, heads);
  }

  async getTrace(traceId: string, opts: { tenant?: string } = {}): Promise<TraceDetail[]> {
    return this.#traces.trace(traceId, opts.tenant);
  }

  async neighborDecisions(tenant: string, ids: readonly string[], opts: NeighborQuery = {}): Promise<DecisionRecord[]> {
    return this.#traces.neighbors(tenant, ids, opts.limit);
  }

  async appendAlerts(alerts: DecisionAlert[]): Promise<AppendResult> {
    this.#handle.assertOpen();
    return this.#alerts.append(alerts);
  }

  async queryAlerts(query: AlertQuery): Promise<AlertPage> {
    this.#handle.assertOpen();
    return this.#alerts.query(query);
  }

  async getAlert(id: string, opts: { tenant?: string } = {}): Promise<DecisionAlert[]> {
    this.#handle.assertOpen();
    return this.#alerts.get(id, opts.tenant);
  }

  async close(): Promise<void> {
    if (this.#handle.closed) return;
    this.#ledger.flush();
    this.#handle.closed = true;
    await this.#verification.settled();
    this.#handle.witness?.close();
    await this.#checkpointer?.stop();
    this.#verification.closeReader();
    this.#handle.db.close();
  }

  /** Checkpoint rounds the checkpointer thread has run (0 without one). */
  get checkpoints(): number {
    return this.#checkpointer?.checkpoints ?? 0;
  }

  /** Append transactions committed so far (several concurrent append calls share one). */
  get commits(): number {
    return this.#ledger.commits;
  }

  #afterAppendCommit(): void {
    if (this.#checkpointer === null) this.#startCheckpointer();
    else this.#checkpointer.written();
  }

  /**
   * A store that appends checkpoints its WAL from a thread of its own (wal-checkpointer.ts); one
   * that only reads (the CLI's query or verify) starts no thread.
   */
  #startCheckpointer(): void {
    const file = this.#handle.file;
    if (file === null) return;
    this.#handle.db.pragma('wal_autocheckpoint = 0');
    this.#checkpointer = new WalCheckpointer(file, {
      onFailure: () => {
        if (!this.#handle.closed) this.#handle.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      },
    });
  }
}
