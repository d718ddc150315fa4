import pg from 'pg';
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
import { migratePostgres } from './migrate.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { parsePostgresUrl, withoutPassword } from './postgres-url.js';
import { PostgresStoreHandle } from './store-handle.js';
import { PostgresLedgerWriter } from './ledger-writer.js';
import { PostgresDecisionReads } from './decision-reads.js';
import { PostgresStatsReads } from './stats-reads.js';
import { PostgresAuditLog } from './audit-log.js';
import { PostgresLedgerVerification } from './ledger-verification.js';
import { PostgresRetention } from './retention.js';
import { readNeighbors, readTrace } from './trace-tables.js';
import { emptyChainHeads } from '../witness/chain-heads.js';
import { refuseSecondWitness } from '../witness/witnessed-heads.js';
import { WitnessWriter } from '../witness/witness-writer.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { appendAlerts, getAlert, queryAlerts } from './alerts-table.js';

const INT8_OID = 20;

export interface PostgresStoreOptions {
  /** Connections in the pool; default 10. */
  maxConnections?: number;
  /** How long a call (opening included) waits for a connection before it fails; default 10 s. */
  connectTimeoutMs?: number;
}

/**
 * bigint columns (seq, sort_time, row ids) as numbers: they stay far below 2^53 (sort_time is
 * epoch microseconds), and every other backend hands them out as numbers.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * The PostgreSQL backend, for several collector processes sharing one database. Same model as
 * the SQLite store: a hash-chained ledger per tenant and the materialised records, in one
 * transaction per group of appends.
 *
 * Writers (in this process or others) extend a tenant's chain only while holding that tenant's
 * `ledger_heads` row (SELECT … FOR UPDATE, tenants locked in sorted order so that two writers
 * cannot deadlock), so seq numbers stay gap-free and each row links to the row committed before
 * it; duplicates are found under the same lock, so a redelivered event is counted, not stored.
 *
 * This class opens the pool and composes one module per concept, which share it through
 * PostgresStoreHandle: the ledger writer (ledger-writer.ts), decision reads (decision-reads.ts),
 * stats (stats-reads.ts), the audit log (audit-log.ts), verification (ledger-verification.ts),
 * retention (retention.ts), alerts (alerts-table.ts) and the trace tables (trace-tables.ts).
 */
export class PostgresDecisionStore implements DecisionStore {
  readonly #handle: PostgresStoreHandle;
  readonly #ledger: PostgresLedgerWriter;
  readonly #reads: PostgresDecisionReads;
  readonly #stats: PostgresStatsReads;
  readonly #audit: PostgresAuditLog;
  readonly #verification: PostgresLedgerVerification;
  readonly #retention: PostgresRetention;
  #closing: Promise<void> | null = null;

  /** Connects, creates the schema if needed and applies pending migrations. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresDecisionStore> {
    const target = parsePostgresUrl(url);
    const pool = new pg.Pool({
      connectionString: target.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      types,
    });
    // An idle connection that the server closes (restart, idle timeout) is dropped by the pool;
    // without a listener the error would end the process.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool, target.schema, POSTGRES_MIGRATIONS);
    } catch (error) {
      await pool.end().catch(() => undefined);
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the PostgreSQL store at ${withoutPassword(url)}: ${reason}`, { cause: error });
    }
    return new PostgresDecisionStore(pool);
  }

  private constructor(pool: pg.Pool) {
    this.#handle = new PostgresStoreHandle(pool);
    this.#ledger = new PostgresLedgerWriter(this.#handle);
    this.#reads = new PostgresDecisionReads(this.#handle);
    this.#stats = new PostgresStatsReads(this.#handle);
    this.#audit = new PostgresAuditLog(this.#handle);
    this.#verification = new PostgresLedgerVerification(this.#handle);
    this.#retention = new PostgresRetention(this.#handle);
  }

  /**
   * Calls made while a group transaction is running (or in the same event-loop turn) commit
   * together in the next one; each resolves after that commit. If a group fails, each of its
   * calls is retried in a transaction of its own so that one bad call cannot fail the others.
   */
  append(events: readonly ReadonlyDecisionEvent[]): Promise<AppendResult> {
    return this.#ledger.append(events);
  }

  /**
   * One transaction per call, holding the chain heads of the spans' tenants as an append does:
   * a roll-up then always sees every span and decision of its trace committed before it.
   */
  appendContextSpans(spans: ContextSpan[] | SelectedContextSpans): Promise<AppendResult> {
    return this.#ledger.appendContextSpans(spans);
  }

  getDecision(id: string, opts: { tenant?: string } = {}): Promise<DecisionDetail[]> {
    return this.#reads.getDecision(id, opts);
  }

  queryDecisions(query: DecisionQuery): Promise<QueryPage> {
    return this.#reads.queryDecisions(query);
  }

  getTrace(traceId: string, opts: { tenant?: string } = {}): Promise<TraceDetail[]> {
    return readTrace(this.#handle.pool, traceId, opts.tenant);
  }

  neighborDecisions(tenant: string, ids: readonly string[], opts: NeighborQuery = {}): Promise<DecisionRecord[]> {
    return readNeighbors(this.#handle.pool, tenant, ids, opts.limit);
  }

  verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    return this.#verification.verifyLedger(opts);
  }

  async attachWitness(options: WitnessOptions): Promise<void> {
    this.#handle.assertOpen();
    refuseSecondWitness(this.#handle.witness);
    const heads = emptyChainHeads();
    for (const row of await this.#ledger.chainHeads()) heads.ledger.set(row.tenant_id, { seq: row.seq, hash: row.hash });
    heads.audit = await this.#audit.tail();
    this.#handle.witness = new WitnessWriter(options, heads);
  }

  stats(query: StatsQuery): Promise<DecisionStats> {
    return this.#stats.stats(query);
  }

  outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    return this.#stats.outcomeCounts(filter);
  }

  appendAudit(entries: AuditEntry[]): Promise<void> {
    return this.#audit.appendAudit(entries);
  }

  queryAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#audit.queryAudit(query);
  }

  applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    return this.#retention.applyRetention(policies, now);
  }

  async appendAlerts(alerts: DecisionAlert[]): Promise<AppendResult> {
    this.#handle.assertOpen();
    return appendAlerts(this.#handle.pool, alerts);
  }

  async queryAlerts(query: AlertQuery): Promise<AlertPage> {
    this.#handle.assertOpen();
    return queryAlerts(this.#handle.pool, query);
  }

  async getAlert(id: string, opts: { tenant?: string } = {}): Promise<DecisionAlert[]> {
    this.#handle.assertOpen();
    return getAlert(this.#handle.pool, id, opts.tenant);
  }

  /** Waits for the appends already accepted, then closes every connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#handle.closed = true;
      await this.#ledger.drained();
      try {
        this.#handle.witness?.close();
      } finally {
        await this.#handle.pool.end();
      }
    })();
    return this.#closing;
  }

  /** Append transactions committed so far (several concurrent append calls share one). */
  get commits(): number {
    return this.#ledger.commits;
  }
}
