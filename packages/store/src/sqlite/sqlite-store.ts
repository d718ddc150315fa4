import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openSqlite } from './driver-choice.js';
import type { SqliteDatabase, SqliteStatement, SqliteTransaction } from './sqlite-driver.js';
import { applyEvent, parseJsonExact, withSchemaEventType, type ContextSpan, type DecisionEvent, type DecisionRecord } from '@decision-trace/model';
import { encodeCursor } from '../decision-order.js';
import { decisionRowValues } from '../decision-row.js';
import { normalizeDecisionFilter, normalizeDecisionQuery, type NormalizedDecisionFilter } from '../decision-query.js';
import { auditPage, auditRowValues, normalizeAuditQuery, type AuditRow } from '../audit-query.js';
import { auditPageSql } from '../audit-sql.js';
import { compareNullable, decisionStats } from '../decision-stats.js';
import { aggregateStatsRows, STATS_ROW_COLUMNS, type StatsRow } from '../stats-rows.js';
import { boundSql as dialectBoundSql, decisionPageSql, SQLITE_DIALECT, type BoundSql } from '../bound-sql.js';
import { normalizeStatsQuery } from '../stats-query.js';
import { canonicalLedgerEntry, chainHash, GENESIS_HASH } from '../ledger-hash.js';
import { LedgerChainVerifier, type StoredLedgerRow } from '../ledger-verifier.js';
import { checkpointThrough, RETENTION_BATCH_DECISIONS } from '../ledger-pruning.js';
import { planRetention, retentionTargetsByTenant, type RetentionTarget, type StoredDecisionKind } from '../retention-policy.js';
import type {
  AppendResult,
  AuditEntry,
  AuditPage,
  AuditQuery,
  DecisionDetail,
  DecisionFilter,
  DecisionQuery,
  DecisionStats,
  OutcomeCount,
  StatsQuery,
  DecisionStore,
  LedgerCheckpoint,
  LedgerEntry,
  LedgerProblem,
  LedgerVerification,
  VerifyLedgerOptions,
  QueryPage,
  RetentionPolicy,
  RetentionResult,
  WitnessOptions,
} from '../store.js';
import { migrate } from './migrate.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import type { NeighborQuery, TraceDetail } from '../store.js';
import { ContextSpanTransaction, recordKey, SqliteTraceTables, type TransactionRecords } from './trace-tables.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { appendCallOf, type AppendCall } from '../append-call.js';
import { parseStoredRecord, parseStoredJson } from '../stored-json.js';
import { AuditChainVerifier, auditEntryHash, nextAuditLink, type StoredAuditRow } from '../audit-chain.js';
import { verifyRecord, VERIFIED_DECISION_COLUMNS } from '../record-verifier.js';
import { emptyChainHeads, type ChainHeads } from '../witness/chain-heads.js';
import { checkWitness, type WitnessLookup } from '../witness/witness-check.js';
import { readWitnessFile } from '../witness/witness-file.js';
import { WitnessWriter } from '../witness/witness-writer.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { SqliteAlertsTable } from './alerts-table.js';

const IN_MEMORY = ':memory:';
/** WAL pages (4 KiB) written between two automatic checkpoints; SQLite's default is 1000. */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Prepared filter-dependent statements kept at most. */
const MAX_CACHED_QUERY_STATEMENTS = 500;
/** Ledger rows verified between two yields to the event loop. */
const VERIFY_ROWS_PER_TURN = 2000;

interface PendingAppend {
  call: AppendCall;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface ChainTail {
  seq: number;
  hash: string;
}

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

/** The decisions table's columns in the order upsertRecord binds them. */
type RecordColumns = [
  tenant_id: string,
  id: string,
  type: string | null,
  version: string | null,
  outcome: string | null,
  status: string,
  start_time: string | null,
  end_time: string | null,
  sort_time: number,
  trace_id: string | null,
  parent_decision_id: string | null,
  environment: string | null,
  service_name: string | null,
  actor_id: string | null,
  actor_type: string | null,
  confidence: number | null,
  event_count: number,
  updated_at: string,
  record: string,
  duration_ms: number | null,
  adjusted_count: number | null,
  has_violations: number,
  input_tokens: number | null,
  output_tokens: number | null,
  total_tokens: number | null,
  /** The seqs of the events this transaction appended to the decision, comma-separated; null for none. */
  new_event_seqs: string | null,
];

interface PageRow {
  sort_time: number;
  id: string;
  tenant_id: string;
  record: string;
}

function prepareStatements(db: SqliteDatabase) {
  return {
    insertLedger: db.prepare<[string, number, string, string, string, string, string, string, string, string]>(
      `INSERT INTO ledger (tenant_id, seq, event_id, decision_id, event_type, timestamp, received_at, event, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, event_id) DO NOTHING`,
    ),
    selectTail: db.prepare<[string], ChainTail>(
      'SELECT seq, hash FROM ledger WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1',
    ),
    // Each tenant's newest row: the tenants walked through the (tenant_id, seq) key, one seek each.
    selectChainHeads: db.prepare<[], { tenant_id: string; seq: number; hash: string }>(
      `WITH RECURSIVE tenants(tenant_id) AS (
         SELECT min(tenant_id) FROM ledger
         UNION ALL
         SELECT (SELECT min(tenant_id) FROM ledger WHERE tenant_id > t.tenant_id) FROM tenants t WHERE t.tenant_id IS NOT NULL
       )
       SELECT t.tenant_id, l.seq, l.hash FROM tenants t
       CROSS JOIN ledger l ON l.tenant_id = t.tenant_id AND l.seq = (SELECT max(seq) FROM ledger WHERE tenant_id = t.tenant_id)`,
    ),
    selectRecord: db.prepare<[string, string], string>('SELECT record FROM decisions WHERE tenant_id = ? AND id = ?').pluck(),
    // Positional parameters: binding them costs about half of binding a named-parameter object.
    upsertRecord: db.prepare<RecordColumns>(
      `INSERT INTO decisions (tenant_id, id, type, version, outcome, status, start_time, end_time, sort_time, trace_id,
         parent_decision_id, environment, service_name, actor_id, actor_type, confidence, event_count, updated_at, record,
         duration_ms, adjusted_count, has_violations, input_tokens, output_tokens, total_tokens, event_seqs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, id) DO UPDATE SET
         type = excluded.type, version = excluded.version, outcome = excluded.outcome, status = excluded.status,
         start_time = excluded.start_time, end_time = excluded.end_time, sort_time = excluded.sort_time,
         trace_id = excluded.trace_id, parent_decision_id = excluded.parent_decision_id,
         environment = excluded.environment, service_name = excluded.service_name, actor_id = excluded.actor_id,
         actor_type = excluded.actor_type, confidence = excluded.confidence, event_count = excluded.event_count,
         updated_at = excluded.updated_at, record = excluded.record, duration_ms = excluded.duration_ms,
         adjusted_count = excluded.adjusted_count, has_violations = excluded.has_violations,
         input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens,
         event_seqs = CASE WHEN excluded.event_seqs IS NULL THEN event_seqs
                           WHEN event_seqs IS NULL THEN excluded.event_seqs
                           ELSE event_seqs || ',' || excluded.event_seqs END`,
    ),
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
    selectTenantDecision: db.prepare<[string, string], DecisionRow>(
      'SELECT tenant_id, record FROM decisions WHERE tenant_id = ? AND id = ?',
    ),
    selectDecisionEvents: db.prepare<[string, string], LedgerEntryRow>(
      `SELECT l.tenant_id, l.seq, l.event, l.received_at, l.prev_hash, l.hash
       FROM decisions d CROSS JOIN json_each('[' || d.event_seqs || ']') s CROSS JOIN ledger l ON l.tenant_id = d.tenant_id AND l.seq = s.value
       WHERE d.tenant_id = ? AND d.id = ? ORDER BY l.seq`,
    ),
  };
}

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

/** Retention's statements; see ledger-pruning.ts for what pruning keeps. */
function prepareRetention(db: SqliteDatabase) {
  return {
    decisionKinds: db.prepare<[], StoredDecisionKind>('SELECT DISTINCT tenant_id AS tenant, type FROM decisions'),
    expiredIds: db.prepare<[string, string | null, number, number], string>(
      'SELECT id FROM decisions WHERE tenant_id = ? AND type IS ? AND sort_time < ? LIMIT ?',
    ).pluck(),
    deleteRecord: db.prepare<[string, string], { trace_id: string | null; event_seqs: string | null }>(
      'DELETE FROM decisions WHERE tenant_id = ? AND id = ? RETURNING trace_id, event_seqs',
    ),
    deleteLinksFrom: db.prepare<[string, string]>('DELETE FROM causal_links WHERE tenant_id = ? AND source_id = ?'),
    deleteSpansIfNoDecision: db.prepare<[string, string, string, string]>(
      `DELETE FROM context_span_packs WHERE tenant_id = ? AND trace_id = ?
       AND NOT EXISTS (SELECT 1 FROM decisions WHERE trace_id = ? AND tenant_id = ?)`,
    ),
    pruneEvents: db.prepare<[string, string | null]>(
      `UPDATE ledger SET event = '', decision_id = '', event_type = '', timestamp = '', received_at = ''
       WHERE tenant_id = ? AND seq IN (SELECT value FROM json_each('[' || ? || ']'))`,
    ),
    checkpointSeq: db.prepare<[string], number>(
      'SELECT seq FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1',
    ).pluck(),
    firstLiveSeq: db.prepare<[string], number>(
      "SELECT seq FROM ledger WHERE tenant_id = ? AND event <> '' ORDER BY seq LIMIT 1",
    ).pluck(),
    lastSeq: db.prepare<[string], number>('SELECT seq FROM ledger WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1').pluck(),
    hashAt: db.prepare<[string, number], string>('SELECT hash FROM ledger WHERE tenant_id = ? AND seq = ?').pluck(),
    insertCheckpoint: db.prepare<[string, number, string, number, string]>(
      'INSERT INTO ledger_checkpoints (tenant_id, seq, hash, removed, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    deleteThrough: db.prepare<[string, number]>('DELETE FROM ledger WHERE tenant_id = ? AND seq <= ?'),
  };
}

/**
 * The default backend: one SQLite file (WAL), an append-only hash-chained ledger per tenant and
 * the materialised records beside it. Every append is one synchronous transaction, so
 * concurrent callers in this process are serialised by the event loop; other processes on the
 * same file are serialised by SQLite's write lock (see `append`).
 */
export class SqliteDecisionStore implements DecisionStore {
  readonly #db: SqliteDatabase;
  readonly #file: string | null;
  readonly #statements: ReturnType<typeof prepareStatements>;
  /** Context spans, token roll-up and the causal-link index (migration 3). */
  readonly #traces: SqliteTraceTables;
  /** Anomaly alerts (migration 11). */
  readonly #alerts: SqliteAlertsTable;
  /** Statements whose SQL depends on the filters asked, by SQL text. */
  readonly #queryStatements = new Map<string, SqliteStatement<unknown[], unknown>>();
  /** Last seq and hash per tenant, read once; only updated after a commit. */
  readonly #tails = new Map<string, ChainTail>();
  readonly #appendTransaction: SqliteTransaction<
    (calls: ReadonlyArray<AppendCall>) => { results: AppendResult[]; tails: Map<string, ChainTail> }
  >;
  /** Append calls waiting for the group commit at the end of this event-loop turn. */
  #pendingAppends: PendingAppend[] = [];
  #commits = 0;
  /** Verification reads from its own connection so that it sees one snapshot while appends go on. */
  #verifyReader: SqliteDatabase | null = null;
  #verifications: Promise<unknown> = Promise.resolve();
  #retention: ReturnType<typeof prepareRetention> | null = null;
  #closed = false;
  #checkpointer: WalCheckpointer | null = null;
  #witness: WitnessWriter | null = null;

  /** `path`: a file (its directory is created) or `:memory:`. */
  constructor(path: string) {
    if (path === '') throw new Error('SQLite store needs a file path or :memory:');
    this.#file = path === IN_MEMORY ? null : resolve(path);
    if (this.#file !== null) mkdirSync(dirname(this.#file), { recursive: true });
    this.#db = openSqlite(this.#file ?? IN_MEMORY);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('busy_timeout = 5000');
      // A checkpoint copies every page changed since the last one back into the database and
      // syncs it. Appends change many pages (random index leaves), mostly the same ones again:
      // checkpointing every ~40 MB instead of the default ~4 MB of WAL copies each page once per
      // longer stretch and syncs a tenth as often. The WAL file stays at that size.
      // Until the first append starts the checkpointer thread (wal-checkpointer.ts), and again
      // should that thread fail.
      this.#db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      migrate(this.#db, SQLITE_MIGRATIONS);
      this.#statements = prepareStatements(this.#db);
      this.#traces = new SqliteTraceTables(this.#db);
      this.#alerts = new SqliteAlertsTable(this.#db);
      this.#appendTransaction = this.#db.transaction((calls: ReadonlyArray<AppendCall>) => this.#appendAll(calls));
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /**
   * Appends are grouped: calls made in the same event-loop turn (concurrent requests) commit in
   * one transaction, which costs about as much as one call's alone. Each call resolves only
   * after that commit. If the group fails, each call is retried in a transaction of its own so
   * one bad call cannot fail the others. `appendContextSpans` calls join the same group.
   */
  append(events: DecisionEvent[]): Promise<AppendResult> {
    return this.#enqueueCallOf({ events });
  }

  appendContextSpans(spans: ContextSpan[]): Promise<AppendResult> {
    return this.#enqueueCallOf({ spans });
  }

  #enqueueCallOf(input: Parameters<typeof appendCallOf>[0]): Promise<AppendResult> {
    let call: AppendCall | null;
    try {
      call = appendCallOf(input);
    } catch (error) {
      return Promise.reject(error);
    }
    return call === null ? Promise.resolve({ appended: 0, duplicates: 0 }) : this.#enqueue(call);
  }

  /**
   * An append or appendContextSpans call already checked, encoded and packed by appendCallOf:
   * the worker store prepares its calls in the caller's thread and this one only commits them.
   */
  appendPrepared(call: AppendCall): Promise<AppendResult> {
    return this.#enqueue(call);
  }

  #enqueue(call: AppendCall): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.#pendingAppends.push({ call, resolve, reject });
      if (this.#pendingAppends.length === 1) setImmediate(() => this.#flushAppends());
    });
  }

  #flushAppends(): void {
    const group = this.#pendingAppends;
    this.#pendingAppends = [];
    if (group.length === 0) return;
    let results: AppendResult[] | undefined;
    try {
      results = this.#commitWithRetry(group.map((pending) => pending.call));
    } catch {
      // Fall through: settle each call on its own.
    }
    if (results !== undefined) {
      group.forEach((call, i) => call.resolve(results[i]));
      return;
    }
    for (const call of group) {
      try {
        call.resolve(this.#commitWithRetry([call.call])[0]);
      } catch (error) {
        call.reject(error);
      }
    }
  }

  #commitWithRetry(calls: ReadonlyArray<AppendCall>): AppendResult[] {
    try {
      return this.#commitAppend(calls);
    } catch (error) {
      this.#tails.clear();
      if (!isSeqConflict(error)) throw error;
      // Another process appended to a chain since this one cached its tail: read tails again.
      return this.#commitAppend(calls);
    }
  }

  async getDecision(id: string, opts: { tenant?: string } = {}): Promise<DecisionDetail[]> {
    const rows =
      opts.tenant === undefined
        ? this.#statements.selectDecisionsById.all(id)
        : this.#statements.selectTenantDecision.all(opts.tenant, id);
    return rows.map((row) => ({
      record: parseStoredRecord(row.record),
      events: this.#statements.selectDecisionEvents.all(row.tenant_id, id).map(toLedgerEntry),
    }));
  }

  async queryDecisions(query: DecisionQuery): Promise<QueryPage> {
    const normalized = normalizeDecisionQuery(query);
    const { sql, params } = decisionPageSql(SQLITE_DIALECT, normalized);
    const rows = this.#prepared<PageRow>(sql).all(...params);
    const hasMore = rows.length > normalized.limit;
    const page = hasMore ? rows.slice(0, normalized.limit) : rows;
    const last = page.at(-1);
    return {
      decisions: page.map((row) => parseStoredRecord(row.record)),
      next_cursor: hasMore && last ? encodeCursor({ time: last.sort_time, id: last.id, tenant: last.tenant_id }) : null,
    };
  }

  verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    // One verification at a time: they share the reader connection and its snapshot.
    const tenant = opts.tenant === undefined || opts.tenant === '' ? null : opts.tenant;
    let witnessed: ChainHeads | null;
    try {
      witnessed = this.#witnessedHeads(opts.witness);
    } catch (error) {
      return Promise.reject(error);
    }
    const verification = this.#verifications.then(() => this.#verify(tenant, witnessed, opts.onProgress));
    this.#verifications = verification.catch(() => undefined);
    return verification;
  }

  /**
   * The window's rows are read once (the reads, not the sums, cost here: each row is a lookup in
   * the table) and aggregated in one pass by aggregateStatsRows.
   */
  async stats(query: StatsQuery): Promise<DecisionStats> {
    if (this.#closed) throw new Error('store is closed');
    const normalized = normalizeStatsQuery(query, new Date());
    const { sql, params } = boundSql(normalized.filter, (_bind, where) => `SELECT ${STATS_ROW_COLUMNS} FROM decisions${where()}`);
    const statement = this.#prepared<StatsRow>(sql, 'raw');
    const aggregates = aggregateStatsRows(statement.iterate(...params), normalized.filter.sinceMicros, normalized.bucketMs * 1000);
    return decisionStats(normalized, aggregates);
  }

  async outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    if (this.#closed) throw new Error('store is closed');
    const { sql, params } = outcomeCountsSql(normalizeDecisionFilter(filter));
    const rows = this.#prepared<OutcomeCount>(sql).all(...params);
    return rows.sort((a, b) => compareNullable(a.outcome, b.outcome));
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (this.#closed) throw new Error('store is closed');
    if (entries.length === 0) return;
    const rows = entries.map(auditRowValues);
    const insert = this.#prepared(
      `INSERT INTO audit_log (at, at_micros, key_name, role, tenant, method, path, query, status, seq, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const selectTail = this.#prepared<ChainTail>('SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
    // The tail is read inside the IMMEDIATE transaction: another process appending to the same
    // file waits for the write lock, so the chain never forks.
    const tail = this.#db
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
    if (tail !== null) this.#witness?.noteAudit(tail);
  }

  async queryAudit(query: AuditQuery): Promise<AuditPage> {
    if (this.#closed) throw new Error('store is closed');
    const normalized = normalizeAuditQuery(query);
    const params: unknown[] = [];
    const sql = auditPageSql(normalized, (value) => {
      params.push(value);
      return '?';
    });
    return auditPage(this.#prepared<AuditRow>(sql).all(...params), normalized.limit);
  }

  /** A statement prepared once per SQL text (`raw`: rows as arrays). */
  #prepared<Row>(sql: string, mode: 'object' | 'raw' = 'object'): SqliteStatement<unknown[], Row> {
    const key = `${mode}:${sql}`;
    let statement = this.#queryStatements.get(key);
    if (statement === undefined) {
      // Filters combine freely; keep the cache from growing without bound on unusual mixes.
      if (this.#queryStatements.size >= MAX_CACHED_QUERY_STATEMENTS) this.#queryStatements.clear();
      statement = this.#db.prepare<unknown[], unknown>(sql);
      if (mode === 'raw') statement.raw();
      this.#queryStatements.set(key, statement);
    }
    return statement as SqliteStatement<unknown[], Row>;
  }

  /**
   * One IMMEDIATE transaction per tenant and batch of expired decisions, with a turn of the
   * event loop between them, so that appends are never held up for long.
   */
  async applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    if (this.#closed) throw new Error('store is closed');
    const statements = (this.#retention ??= prepareRetention(this.#db));
    const targets = planRetention(policies, statements.decisionKinds.all(), now);
    const result: RetentionResult = { deleted_decisions: 0, deleted_events: 0, checkpoints: 0 };
    const createdAt = now.toISOString();
    for (const tenantTargets of retentionTargetsByTenant(targets)) {
      for (;;) {
        if (this.#closed) throw new Error('store is closed');
        const step = this.#db
          .transaction(() => this.#retentionStep(statements, tenantTargets, createdAt))
          .immediate();
        result.deleted_decisions += step.deleted_decisions;
        result.deleted_events += step.deleted_events;
        result.checkpoints += step.checkpoints;
        if (step.deleted_decisions < RETENTION_BATCH_DECISIONS) break;
        await nextTurn();
      }
    }
    return result;
  }

  /** Runs inside a transaction: one batch of one tenant's expired decisions. */
  #retentionStep(
    statements: ReturnType<typeof prepareRetention>,
    targets: readonly RetentionTarget[],
    createdAt: string,
  ): RetentionResult {
    const tenant = targets[0]!.tenant;
    const ids: string[] = [];
    for (const target of targets) {
      const room = RETENTION_BATCH_DECISIONS - ids.length;
      if (room === 0) break;
      ids.push(...statements.expiredIds.all(tenant, target.type, target.beforeMicros, room));
    }
    let events = 0;
    const traces = new Set<string>();
    for (const id of ids) {
      const deleted = statements.deleteRecord.get(tenant, id);
      const traceId = deleted?.trace_id;
      if (traceId != null) traces.add(traceId.toLowerCase());
      statements.deleteLinksFrom.run(tenant, id);
      events += statements.pruneEvents.run(tenant, deleted?.event_seqs ?? null).changes;
    }
    // Context spans are kept for traces that hold decisions: those of a trace left without any go too.
    for (const traceId of traces) statements.deleteSpansIfNoDecision.run(tenant, traceId, traceId, tenant);
    let checkpoints = 0;
    const lastSeq = statements.lastSeq.get(tenant);
    if (ids.length > 0 && lastSeq !== undefined) {
      const checkpointSeq = statements.checkpointSeq.get(tenant) ?? 0;
      const through = checkpointThrough({ checkpointSeq, firstLiveSeq: statements.firstLiveSeq.get(tenant) ?? null, lastSeq });
      const hash = through === null ? undefined : statements.hashAt.get(tenant, through);
      // No row at `through` means the chain was damaged behind the store; leave it for verification to report.
      if (through !== null && hash !== undefined) {
        statements.insertCheckpoint.run(tenant, through, hash, through - checkpointSeq, createdAt);
        statements.deleteThrough.run(tenant, through);
        checkpoints = 1;
      }
    }
    return { deleted_decisions: ids.length, deleted_events: events, checkpoints };
  }

  async attachWitness(options: WitnessOptions): Promise<void> {
    if (this.#closed) throw new Error('store is closed');
    if (this.#witness !== null) throw new Error(`this store already writes the witness file ${this.#witness.path}`);
    const heads = emptyChainHeads();
    for (const row of this.#statements.selectChainHeads.all()) heads.ledger.set(row.tenant_id, { seq: row.seq, hash: row.hash });
    heads.audit = this.#prepared<ChainTail>('SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1').get() ?? null;
    this.#witness = new WitnessWriter(options, heads);
  }

  /** The file's heads (`path`), else those of the attached witness after writing what it holds; null without either. */
  #witnessedHeads(path: string | undefined): ChainHeads | null {
    if (path !== undefined && path !== '') return readWitnessFile(path);
    if (this.#witness === null) return null;
    this.#witness.flush();
    return readWitnessFile(this.#witness.path);
  }

  async getTrace(traceId: string, opts: { tenant?: string } = {}): Promise<TraceDetail[]> {
    return this.#traces.trace(traceId, opts.tenant);
  }

  async neighborDecisions(tenant: string, ids: readonly string[], opts: NeighborQuery = {}): Promise<DecisionRecord[]> {
    return this.#traces.neighbors(tenant, ids, opts.limit);
  }

  async appendAlerts(alerts: DecisionAlert[]): Promise<AppendResult> {
    if (this.#closed) throw new Error('store is closed');
    return this.#alerts.append(alerts);
  }

  async queryAlerts(query: AlertQuery): Promise<AlertPage> {
    if (this.#closed) throw new Error('store is closed');
    return this.#alerts.query(query);
  }

  async getAlert(id: string, opts: { tenant?: string } = {}): Promise<DecisionAlert[]> {
    if (this.#closed) throw new Error('store is closed');
    return this.#alerts.get(id, opts.tenant);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushAppends();
    this.#closed = true;
    await this.#verifications;
    this.#witness?.close();
    await this.#checkpointer?.stop();
    this.#verifyReader?.close();
    this.#db.close();
  }

  /**
   * A store that appends checkpoints its WAL from a thread of its own (wal-checkpointer.ts); one
   * that only reads (the CLI's query or verify) starts no thread.
   */
  #startCheckpointer(): void {
    if (this.#file === null) return;
    this.#db.pragma('wal_autocheckpoint = 0');
    this.#checkpointer = new WalCheckpointer(this.#file, {
      onFailure: () => {
        if (!this.#closed) this.#db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      },
    });
  }

  /** Checkpoint rounds the checkpointer thread has run (0 without one). */
  get checkpoints(): number {
    return this.#checkpointer?.checkpoints ?? 0;
  }

  /** Append transactions committed so far (several concurrent append calls share one). */
  get commits(): number {
    return this.#commits;
  }

  #commitAppend(calls: ReadonlyArray<AppendCall>): AppendResult[] {
    const { results, tails } = this.#appendTransaction.immediate(calls);
    this.#commits += 1;
    if (this.#checkpointer === null) this.#startCheckpointer();
    else this.#checkpointer.written();
    for (const [tenant, tail] of tails) {
      this.#tails.set(tenant, tail);
      this.#witness?.noteLedger(tenant, tail);
    }
    return results;
  }

  /** Runs inside the append transaction; one result per call. */
  #appendAll(calls: ReadonlyArray<AppendCall>): { results: AppendResult[]; tails: Map<string, ChainTail> } {
    const { insertLedger } = this.#statements;
    const receivedAt = new Date().toISOString();
    const tails = new Map<string, ChainTail>();
    // Records touched by this transaction, written once at the end however many events they got.
    const transaction: TransactionRecords = { records: new Map(), priors: new Map() };
    const { records, priors } = transaction;
    const results: AppendResult[] = [];
    // Traces that got a new context span; their token roll-up is computed once, at the end.
    const contextSpans = new ContextSpanTransaction();
    // By record key: the seqs appended to each decision, which its row lists (migration 8).
    const newEventSeqs = new Map<string, string>();
    for (const call of calls) {
      if (call.packs !== undefined) {
        results.push(this.#traces.insertPacks(call.packs, contextSpans));
        continue;
      }
      const { events, eventJson: eventJsons } = call;
      let appended = 0;
      let duplicates = 0;

      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        const tenant = event.tenant_id;
        const tail = tails.get(tenant) ?? this.#tails.get(tenant) ?? this.#readTail(tenant);
        const seq = tail.seq + 1;
        const eventJson = eventJsons[i]!;
        const hash = chainHash(tail.hash, canonicalLedgerEntry(tenant, seq, receivedAt, eventJson));
        const { changes } = insertLedger.run(
          tenant,
          seq,
          event.event_id,
          event.decision_id,
          event.event_type,
          event.timestamp,
          receivedAt,
          eventJson,
          tail.hash,
          hash,
        );
        if (changes === 0) {
          duplicates += 1;
          continue;
        }
        appended += 1;
        tails.set(tenant, { seq, hash });
        const key = recordKey(tenant, event.decision_id);
        const seqs = newEventSeqs.get(key);
        newEventSeqs.set(key, seqs === undefined ? String(seq) : `${seqs},${seq}`);
        let current = records.get(key);
        if (current === undefined && !priors.has(key)) {
          current = this.#readRecord(tenant, event.decision_id);
          priors.set(key, current);
        }
        records.set(key, applyEvent(current, event));
      }
      results.push({ appended, duplicates });
    }

    this.#traces.refreshAfterAppend(transaction, contextSpans);
    for (const [key, record] of records) this.#writeRecord(record, priors.get(key), newEventSeqs.get(key) ?? null);
    return { results, tails };
  }

  #readTail(tenant: string): ChainTail {
    return this.#statements.selectTail.get(tenant) ?? { seq: 0, hash: GENESIS_HASH };
  }

  #readRecord(tenant: string, id: string): DecisionRecord | undefined {
    const json = this.#statements.selectRecord.get(tenant, id);
    return json === undefined ? undefined : (parseJsonExact(json) as DecisionRecord);
  }

  #writeRecord(record: DecisionRecord, prior: DecisionRecord | undefined, newEventSeqs: string | null): void {
    this.#traces.syncCausalLinks(record, prior);
    const values = decisionRowValues(record);
    values.push(newEventSeqs);
    this.#statements.upsertRecord.run(...(values as RecordColumns));
  }

  async #verify(tenant: string | null, witnessed: ChainHeads | null, onProgress?: (checked: number) => void): Promise<LedgerVerification> {
    if (this.#closed) throw new Error('store is closed');
    // An in-memory database has no second connection; it is verified in one synchronous pass.
    const reader = this.#file === null ? this.#db : this.#reader(this.#file);
    const separateReader = reader !== this.#db;
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

/** `boundSql` with SQLite's positional `?` placeholders. */
function boundSql(
  filter: NormalizedDecisionFilter | null,
  build: (bind: (value: unknown) => string, where: (...extra: string[]) => string) => string,
): BoundSql {
  return dialectBoundSql(SQLITE_DIALECT, filter, build);
}

function outcomeCountsSql(filter: NormalizedDecisionFilter): BoundSql {
  return boundSql(
    filter,
    (_bind, where) =>
      `SELECT outcome, count(*) AS count, total(coalesce(adjusted_count, 1)) AS weighted_count FROM decisions${where()} GROUP BY outcome`,
  );
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

/** A unique-key conflict on the chain, or a seq behind a checkpoint (migration 2's trigger). */
function isSeqConflict(error: unknown): boolean {
  if (!(error instanceof Error) || !error.message.includes('ledger.seq')) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_TRIGGER';
}


