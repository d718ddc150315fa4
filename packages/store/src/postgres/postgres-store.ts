import pg from 'pg';
import { applyEvent, parseJsonExact, withSchemaEventType, type ContextSpan, type DecisionEvent, type DecisionRecord } from '@decision-trace/model';
import { assertAppendable } from '../appendable-event.js';
import { encodeCursor } from '../decision-order.js';
import { DECISION_ROW_WIDTH, decisionRowValues } from '../decision-row.js';
import { normalizeDecisionFilter, normalizeDecisionQuery } from '../decision-query.js';
import { auditPage, auditRowValues, normalizeAuditQuery, type AuditRow } from '../audit-query.js';
import { auditPageSql } from '../audit-sql.js';
import { compareNullable, decisionStats, type StatsAggregates } from '../decision-stats.js';
import { normalizeStatsQuery } from '../stats-query.js';
import { outcomeCountsSql, statsSql } from './stats-sql.js';
import { ledgerCanonicalJson, canonicalLedgerEntry, chainHash, GENESIS_HASH } from '../ledger-hash.js';
import { checkpointThrough, RETENTION_BATCH_DECISIONS } from '../ledger-pruning.js';
import { LedgerChainVerifier, type StoredLedgerRow } from '../ledger-verifier.js';
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
  NeighborQuery,
  QueryPage,
  RetentionPolicy,
  RetentionResult,
  TraceDetail,
  WitnessOptions,
} from '../store.js';
import { migratePostgres } from './migrate.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { decisionPageSql } from './page-sql.js';
import { parsePostgresUrl, withoutPassword } from './postgres-url.js';
import {
  insertContextSpans,
  readNeighbors,
  readTrace,
  recordKey,
  refreshAfterAppend,
  refreshTokenUsage,
  syncCausalLinks,
  type TransactionRecords,
} from './trace-tables.js';
import { inTransaction } from './transaction.js';
import { parseStoredRecord, parseStoredJson } from '../stored-json.js';
import { AuditChainVerifier, auditEntryHash, nextAuditLink, type StoredAuditRow } from '../audit-chain.js';
import { verifyRecord, VERIFIED_DECISION_COLUMNS, type StoredDecisionRow } from '../record-verifier.js';
import { emptyChainHeads, type ChainHeads } from '../witness/chain-heads.js';
import { checkWitness } from '../witness/witness-check.js';
import { readWitnessFile } from '../witness/witness-file.js';
import { WitnessWriter } from '../witness/witness-writer.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { appendAlerts, getAlert, queryAlerts } from './alerts-table.js';

/** Ledger rows fetched per round trip while verifying. */
const VERIFY_ROWS_PER_FETCH = 2000;
/** Attempts of one append transaction when PostgreSQL reports a transient conflict. */
const APPEND_ATTEMPTS = 3;
/** SQLSTATEs worth retrying: serialization failure, deadlock detected, unique violation (a racing writer without the lock). */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505']);
const INT8_OID = 20;

export interface PostgresStoreOptions {
  /** Connections in the pool; default 10. */
  maxConnections?: number;
  /** How long a call (opening included) waits for a connection before it fails; default 10 s. */
  connectTimeoutMs?: number;
}

interface PendingAppend {
  events: readonly DecisionEvent[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface ChainHead {
  seq: number;
  hash: string;
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
 */
export class PostgresDecisionStore implements DecisionStore {
  readonly #pool: pg.Pool;
  #pendingAppends: PendingAppend[] = [];
  /** The append loop: one group transaction at a time; calls arriving meanwhile form the next group. */
  #appending: Promise<void> | null = null;
  #commits = 0;
  #closed = false;
  #closing: Promise<void> | null = null;
  #witness: WitnessWriter | null = null;

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
    this.#pool = pool;
  }

  /**
   * Calls made while a group transaction is running (or in the same event-loop turn) commit
   * together in the next one; each resolves after that commit. If a group fails, each of its
   * calls is retried in a transaction of its own so that one bad call cannot fail the others.
   */
  append(events: DecisionEvent[]): Promise<AppendResult> {
    if (events.length === 0) return Promise.resolve({ appended: 0, duplicates: 0 });
    try {
      for (const event of events) assertAppendable(event);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.#pendingAppends.push({ events, resolve, reject });
      this.#appending ??= this.#drainAppends();
    });
  }

  async getDecision(id: string, opts: { tenant?: string } = {}): Promise<DecisionDetail[]> {
    // One statement, so the record and its events come from the same snapshot.
    const tenantFilter = opts.tenant === undefined ? '' : 'AND tenant_id = $2';
    const { rows } = await this.#pool.query<{
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
    const { rows } = await this.#pool.query<{ sort_time: number; id: string; tenant_id: string; record: string }>(sql, params);
    const hasMore = rows.length > normalized.limit;
    const page = hasMore ? rows.slice(0, normalized.limit) : rows;
    const last = page.at(-1);
    return {
      decisions: page.map((row) => parseStoredRecord(row.record)),
      next_cursor: hasMore && last ? encodeCursor({ time: last.sort_time, id: last.id, tenant: last.tenant_id }) : null,
    };
  }

  /**
   * One transaction per call, holding the chain heads of the spans' tenants as an append does:
   * a roll-up then always sees every span and decision of its trace committed before it.
   */
  async appendContextSpans(spans: ContextSpan[]): Promise<AppendResult> {
    if (this.#closed) throw new Error('store is closed');
    if (spans.length === 0) return { appended: 0, duplicates: 0 };
    return this.#withRetry(() =>
      inTransaction(this.#pool, 'BEGIN', async (client) => {
        await lockChains(client, spans.map((span) => span.tenant));
        const { appended, duplicates, touched } = await insertContextSpans(client, spans);
        const transaction: TransactionRecords = { records: new Map(), priors: new Map() };
        for (const { tenant, traceId } of touched.values()) await refreshTokenUsage(client, tenant, traceId, transaction);
        await writeRecords(client, transaction.records.values());
        await syncCausalLinks(client, transaction);
        return { appended, duplicates };
      }),
    );
  }

  getTrace(traceId: string, opts: { tenant?: string } = {}): Promise<TraceDetail[]> {
    return readTrace(this.#pool, traceId, opts.tenant);
  }

  neighborDecisions(tenant: string, ids: readonly string[], opts: NeighborQuery = {}): Promise<DecisionRecord[]> {
    return readNeighbors(this.#pool, tenant, ids, opts.limit);
  }

  /** Reads one snapshot (REPEATABLE READ) through cursors, a batch of rows per round trip. */
  async verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    if (this.#closed) throw new Error('store is closed');
    const tenant = opts.tenant === undefined || opts.tenant === '' ? null : opts.tenant;
    const witnessed = this.#witnessedHeads(opts.witness);
    return inTransaction(this.#pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
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
            newestCheckpoint: (t) => first<{ seq: number; hash: string }>('SELECT seq, hash FROM ledger_checkpoints WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1', [t]),
            auditHash: async (seq) => (await first<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [seq]))?.hash,
          },
          { tenant },
        );
        if (problem !== null) return broken(problem);
      }
      return { ok: true, checked: verifier.checked, first_broken: null };
    });
  }

  async attachWitness(options: WitnessOptions): Promise<void> {
    if (this.#closed) throw new Error('store is closed');
    if (this.#witness !== null) throw new Error(`this store already writes the witness file ${this.#witness.path}`);
    const heads = emptyChainHeads();
    const ledger = await this.#pool.query<{ tenant_id: string; seq: number; hash: string }>('SELECT tenant_id, seq, hash FROM ledger_heads WHERE seq > 0');
    for (const row of ledger.rows) heads.ledger.set(row.tenant_id, { seq: row.seq, hash: row.hash });
    const audit = await this.#pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
    heads.audit = audit.rows[0] ?? null;
    this.#witness = new WitnessWriter(options, heads);
  }

  /** The file's heads (`path`), else those of the attached witness after writing what it holds; null without either. */
  #witnessedHeads(path: string | undefined): ChainHeads | null {
    if (path !== undefined && path !== '') return readWitnessFile(path);
    if (this.#witness === null) return null;
    this.#witness.flush();
    return readWitnessFile(this.#witness.path);
  }

  async stats(query: StatsQuery): Promise<DecisionStats> {
    if (this.#closed) throw new Error('store is closed');
    const normalized = normalizeStatsQuery(query, new Date());
    const { sql, params } = statsSql(normalized);
    const { rows } = await this.#pool.query<{
      groups: StatsAggregates['groups'];
      bins: StatsAggregates['confidenceBins'];
      durations: { count: number; max: number | null; percentiles: number[] | null };
      tokens: StatsAggregates['token_usage'];
    }>(sql, params);
    const { groups, bins, durations, tokens } = rows[0]!;
    const [p50 = null, p90 = null, p95 = null, p99 = null] = durations.percentiles ?? [];
    return decisionStats(normalized, {
      groups,
      confidenceBins: bins,
      duration_ms: { count: durations.count, p50, p90, p95, p99, max: durations.max },
      token_usage: tokens,
    });
  }

  async outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    if (this.#closed) throw new Error('store is closed');
    const { sql, params } = outcomeCountsSql(normalizeDecisionFilter(filter));
    const { rows } = await this.#pool.query<OutcomeCount>(sql, params);
    return rows.sort((a, b) => compareNullable(a.outcome, b.outcome));
  }

  /**
   * The table is locked (EXCLUSIVE: reads go on, other writers wait) while the chain's tail is
   * read and extended, so writers in several processes never fork it.
   */
  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (this.#closed) throw new Error('store is closed');
    if (entries.length === 0) return;
    const rows = entries.map(auditRowValues);
    const tail = await inTransaction(this.#pool, 'BEGIN', async (client) => {
      await client.query('LOCK TABLE audit_log IN EXCLUSIVE MODE');
      const found = await client.query<ChainHead>('SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
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
    if (tail !== null) this.#witness?.noteAudit(tail);
  }

  async queryAudit(query: AuditQuery): Promise<AuditPage> {
    if (this.#closed) throw new Error('store is closed');
    const normalized = normalizeAuditQuery(query);
    const params: unknown[] = [];
    const sql = auditPageSql(normalized, (value) => {
      params.push(value);
      return `$${params.length}`;
    });
    const { rows } = await this.#pool.query<AuditRow>(sql, params);
    return auditPage(rows, normalized.limit);
  }

  /**
   * One transaction per tenant and batch of expired decisions, holding the tenant's chain head
   * like an append does, so that retention and appends of one tenant never interleave.
   */
  async appendAlerts(alerts: DecisionAlert[]): Promise<AppendResult> {
    if (this.#closed) throw new Error('store is closed');
    return appendAlerts(this.#pool, alerts);
  }

  async queryAlerts(query: AlertQuery): Promise<AlertPage> {
    if (this.#closed) throw new Error('store is closed');
    return queryAlerts(this.#pool, query);
  }

  async getAlert(id: string, opts: { tenant?: string } = {}): Promise<DecisionAlert[]> {
    if (this.#closed) throw new Error('store is closed');
    return getAlert(this.#pool, id, opts.tenant);
  }

  async applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    if (this.#closed) throw new Error('store is closed');
    const kinds = await this.#pool.query<StoredDecisionKind>('SELECT DISTINCT tenant_id AS tenant, type FROM decisions');
    const targets = planRetention(policies, kinds.rows, now);
    const result: RetentionResult = { deleted_decisions: 0, deleted_events: 0, checkpoints: 0 };
    const createdAt = now.toISOString();
    for (const tenantTargets of retentionTargetsByTenant(targets)) {
      for (;;) {
        if (this.#closed) throw new Error('store is closed');
        const step = await inTransaction(this.#pool, 'BEGIN', (client) => retentionStep(client, tenantTargets, createdAt));
        result.deleted_decisions += step.deleted_decisions;
        result.deleted_events += step.deleted_events;
        result.checkpoints += step.checkpoints;
        if (step.deleted_decisions < RETENTION_BATCH_DECISIONS) break;
      }
    }
    return result;
  }

  /** Waits for the appends already accepted, then closes every connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#appending;
      try {
        this.#witness?.close();
      } finally {
        await this.#pool.end();
      }
    })();
    return this.#closing;
  }

  /** Append transactions committed so far (several concurrent append calls share one). */
  get commits(): number {
    return this.#commits;
  }

  async #drainAppends(): Promise<void> {
    // Let the rest of this event-loop turn add its calls to the first group.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.#pendingAppends.length > 0) {
        const group = this.#pendingAppends;
        this.#pendingAppends = [];
        await this.#commitGroup(group);
      }
    } finally {
      this.#appending = null;
    }
  }

  /** Settles every call of the group; never throws. */
  async #commitGroup(group: PendingAppend[]): Promise<void> {
    try {
      const results = await this.#commitWithRetry(group.map((call) => call.events));
      group.forEach((call, i) => call.resolve(results[i]!));
      return;
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
    }
    for (const call of group) {
      try {
        call.resolve((await this.#commitWithRetry([call.events]))[0]!);
      } catch (error) {
        call.reject(error);
      }
    }
  }

  async #commitWithRetry(calls: ReadonlyArray<readonly DecisionEvent[]>): Promise<AppendResult[]> {
    const { results, heads } = await this.#withRetry(() => inTransaction(this.#pool, 'BEGIN', (client) => appendCalls(client, calls)));
    this.#commits += 1;
    if (this.#witness !== null) for (const [tenant, head] of heads) this.#witness.noteLedger(tenant, head);
    return results;
  }

  async #withRetry<T>(transaction: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await transaction();
      } catch (error) {
        if (attempt >= APPEND_ATTEMPTS || !RETRYABLE_SQLSTATES.has((error as { code?: string }).code ?? '')) throw error;
      }
    }
  }
}

/** The body of one append transaction; one result per call, and the chain heads it moved. */
async function appendCalls(
  client: pg.PoolClient,
  calls: ReadonlyArray<readonly DecisionEvent[]>,
): Promise<{ results: AppendResult[]; heads: Map<string, ChainHead> }> {
  const heads = await lockChains(client, calls.flatMap((events) => events.map((event) => event.tenant_id)));

  const stored = await client.query<{ tenant_id: string; event_id: string }>(
    `SELECT l.tenant_id, l.event_id FROM ledger l
     JOIN unnest($1::text[], $2::text[]) AS wanted(tenant_id, event_id)
       ON l.tenant_id = wanted.tenant_id AND l.event_id = wanted.event_id`,
    [calls.flatMap((events) => events.map((e) => e.tenant_id)), calls.flatMap((events) => events.map((e) => e.event_id))],
  );
  const seen = new Set(stored.rows.map((row) => recordKey(row.tenant_id, row.event_id)));

  const receivedAt = new Date().toISOString();
  const ledger = new LedgerColumns();
  const newEvents: DecisionEvent[] = [];
  const results = calls.map((events): AppendResult => {
    let appended = 0;
    for (const event of events) {
      const key = recordKey(event.tenant_id, event.event_id);
      if (seen.has(key)) continue;
      seen.add(key);
      const head = heads.get(event.tenant_id)!;
      const seq = head.seq + 1;
      const eventJson = ledgerCanonicalJson(event);
      const hash = chainHash(head.hash, canonicalLedgerEntry(event.tenant_id, seq, receivedAt, eventJson));
      ledger.add(event, seq, eventJson, head.hash, hash);
      heads.set(event.tenant_id, { seq, hash });
      newEvents.push(event);
      appended += 1;
    }
    return { appended, duplicates: events.length - appended };
  });
  if (newEvents.length === 0) return { results, heads: new Map() };

  const transaction: TransactionRecords = { records: new Map(), priors: await readRecords(client, newEvents) };
  for (const event of newEvents) {
    const key = recordKey(event.tenant_id, event.decision_id);
    transaction.records.set(key, applyEvent(transaction.records.get(key) ?? transaction.priors.get(key), event));
  }
  await refreshAfterAppend(client, transaction);

  await client.query(
    `INSERT INTO ledger (tenant_id, seq, event_id, decision_id, event_type, timestamp, received_at, event, prev_hash, hash)
     SELECT tenant_id, seq, event_id, decision_id, event_type, timestamp, $8, event, prev_hash, hash
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[], $10::text[])
       AS v(tenant_id, seq, event_id, decision_id, event_type, timestamp, event, prev_hash, hash)`,
    [...ledger.params.slice(0, 7), receivedAt, ...ledger.params.slice(7)],
  );
  await writeRecords(client, transaction.records.values());
  await syncCausalLinks(client, transaction);
  const changedTenants = [...new Set(newEvents.map((event) => event.tenant_id))];
  await client.query(
    `UPDATE ledger_heads AS h SET seq = v.seq, hash = v.hash
     FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(tenant_id, seq, hash)
     WHERE h.tenant_id = v.tenant_id`,
    [changedTenants, changedTenants.map((t) => heads.get(t)!.seq), changedTenants.map((t) => heads.get(t)!.hash)],
  );
  return { results, heads: new Map(changedTenants.map((t) => [t, heads.get(t)!])) };
}

/**
 * Locks the chain heads of the tenants (creating missing ones) and returns them. Every writer
 * locks in the same (sorted) order, so two writers never wait for each other in a cycle.
 */
async function lockChains(client: pg.PoolClient, tenantIds: readonly string[]): Promise<Map<string, ChainHead>> {
  const tenants = [...new Set(tenantIds)].sort(compareText);
  await client.query(
    `INSERT INTO ledger_heads (tenant_id, seq, hash) SELECT tenant, 0, $2 FROM unnest($1::text[]) AS tenant
     ON CONFLICT (tenant_id) DO NOTHING`,
    [tenants, GENESIS_HASH],
  );
  const locked = await client.query<{ tenant_id: string; seq: number; hash: string }>(
    'SELECT tenant_id, seq, hash FROM ledger_heads WHERE tenant_id = ANY($1::text[]) ORDER BY tenant_id FOR UPDATE',
    [tenants],
  );
  return new Map(locked.rows.map((row) => [row.tenant_id, { seq: row.seq, hash: row.hash }]));
}

/** Ledger rows of one transaction as column arrays, the shape `unnest` inserts in one statement. */
class LedgerColumns {
  readonly tenant: string[] = [];
  readonly seq: number[] = [];
  readonly eventId: string[] = [];
  readonly decisionId: string[] = [];
  readonly eventType: string[] = [];
  readonly timestamp: string[] = [];
  readonly event: string[] = [];
  readonly prevHash: string[] = [];
  readonly hash: string[] = [];

  add(event: DecisionEvent, seq: number, eventJson: string, prevHash: string, hash: string): void {
    this.tenant.push(event.tenant_id);
    this.seq.push(seq);
    this.eventId.push(event.event_id);
    this.decisionId.push(event.decision_id);
    this.eventType.push(event.event_type);
    this.timestamp.push(event.timestamp);
    this.event.push(eventJson);
    this.prevHash.push(prevHash);
    this.hash.push(hash);
  }

  /** $1…$7 then $9, $10 of the insert ($8 is received_at). */
  get params(): unknown[] {
    return [this.tenant, this.seq, this.eventId, this.decisionId, this.eventType, this.timestamp, this.event, this.prevHash, this.hash];
  }
}

/** The stored records of the events' decisions, by recordKey; undefined for decisions not stored yet. */
async function readRecords(client: pg.PoolClient, events: readonly DecisionEvent[]): Promise<Map<string, DecisionRecord | undefined>> {
  const keys = new Map<string, [string, string]>();
  for (const event of events) keys.set(recordKey(event.tenant_id, event.decision_id), [event.tenant_id, event.decision_id]);
  const pairs = [...keys.values()];
  const { rows } = await client.query<{ tenant_id: string; id: string; record: string }>(
    `SELECT d.tenant_id, d.id, d.record FROM decisions d
     JOIN unnest($1::text[], $2::text[]) AS wanted(tenant_id, id) ON d.tenant_id = wanted.tenant_id AND d.id = wanted.id`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  const records = new Map<string, DecisionRecord | undefined>([...keys.keys()].map((key) => [key, undefined]));
  for (const row of rows) records.set(recordKey(row.tenant_id, row.id), parseJsonExact(row.record) as DecisionRecord);
  return records;
}

async function writeRecords(client: pg.PoolClient, records: Iterable<DecisionRecord>): Promise<void> {
  const columns: unknown[][] = Array.from({ length: DECISION_ROW_WIDTH }, () => []);
  for (const record of records) {
    const values = decisionRowValues(record);
    values.forEach((value, i) => columns[i]!.push(value));
  }
  await client.query(
    `INSERT INTO decisions (tenant_id, id, type, version, outcome, status, start_time, end_time, sort_time, trace_id,
       parent_decision_id, environment, service_name, actor_id, actor_type, confidence, event_count, updated_at, record,
       duration_ms, adjusted_count, has_violations, input_tokens, output_tokens, total_tokens)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::float8[],
       $17::integer[], $18::text[], $19::text[], $20::float8[], $21::float8[], $22::smallint[], $23::float8[], $24::float8[],
       $25::float8[])
     ON CONFLICT (tenant_id, id) DO UPDATE SET
       type = excluded.type, version = excluded.version, outcome = excluded.outcome, status = excluded.status,
       start_time = excluded.start_time, end_time = excluded.end_time, sort_time = excluded.sort_time,
       trace_id = excluded.trace_id, parent_decision_id = excluded.parent_decision_id,
       environment = excluded.environment, service_name = excluded.service_name, actor_id = excluded.actor_id,
       actor_type = excluded.actor_type, confidence = excluded.confidence, event_count = excluded.event_count,
       updated_at = excluded.updated_at, record = excluded.record, duration_ms = excluded.duration_ms,
       adjusted_count = excluded.adjusted_count, has_violations = excluded.has_violations,
       input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, total_tokens = excluded.total_tokens`,
    columns,
  );
}

/** One batch of one tenant's expired decisions, inside a transaction. */
async function retentionStep(client: pg.PoolClient, targets: readonly RetentionTarget[], createdAt: string): Promise<RetentionResult> {
  const tenant = targets[0]!.tenant;
  const head = await client.query<{ seq: number }>('SELECT seq FROM ledger_heads WHERE tenant_id = $1 FOR UPDATE', [tenant]);
  const ids: string[] = [];
  for (const target of targets) {
    const room = RETENTION_BATCH_DECISIONS - ids.length;
    if (room === 0) break;
    const typeCondition = target.type === null ? 'type IS NULL' : 'type = $4';
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM decisions WHERE tenant_id = $1 AND ${typeCondition} AND sort_time < $2 LIMIT $3`,
      target.type === null ? [tenant, target.beforeMicros, room] : [tenant, target.beforeMicros, room, target.type],
    );
    for (const row of rows) ids.push(row.id);
  }
  if (ids.length === 0) return { deleted_decisions: 0, deleted_events: 0, checkpoints: 0 };

  const deleted = await client.query<{ trace_id: string | null }>(
    'DELETE FROM decisions WHERE tenant_id = $1 AND id = ANY($2::text[]) RETURNING trace_id',
    [tenant, ids],
  );
  await client.query('DELETE FROM causal_links WHERE tenant_id = $1 AND source_id = ANY($2::text[])', [tenant, ids]);
  // Context spans are kept for traces that hold decisions: those of a trace left without any go too.
  const traces = [...new Set(deleted.rows.flatMap((row) => (row.trace_id === null ? [] : [row.trace_id.toLowerCase()])))];
  await client.query(
    `DELETE FROM context_spans s WHERE s.tenant_id = $1 AND s.trace_id = ANY($2::text[])
     AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.trace_id = s.trace_id AND d.tenant_id = $1)`,
    [tenant, traces],
  );
  const pruned = await client.query(
    `UPDATE ledger SET event = NULL, decision_id = '', event_type = '', timestamp = '', received_at = ''
     WHERE tenant_id = $1 AND decision_id = ANY($2::text[])`,
    [tenant, ids],
  );
  const step: RetentionResult = { deleted_decisions: ids.length, deleted_events: pruned.rowCount ?? 0, checkpoints: 0 };
  const lastSeq = head.rows[0]?.seq;
  if (lastSeq === undefined) return step;

  const extent = await client.query<{ checkpoint_seq: number | null; first_live_seq: number | null }>(
    `SELECT (SELECT max(seq) FROM ledger_checkpoints WHERE tenant_id = $1) AS checkpoint_seq,
            (SELECT seq FROM ledger WHERE tenant_id = $1 AND event IS NOT NULL ORDER BY seq LIMIT 1) AS first_live_seq`,
    [tenant],
  );
  const checkpointSeq = extent.rows[0]!.checkpoint_seq ?? 0;
  const through = checkpointThrough({ checkpointSeq, firstLiveSeq: extent.rows[0]!.first_live_seq, lastSeq });
  if (through === null) return step;
  // No row at `through` means the chain was damaged behind the store; leave it for verification to report.
  const written = await client.query(
    `INSERT INTO ledger_checkpoints (tenant_id, seq, hash, removed, created_at)
     SELECT tenant_id, seq, hash, $3, $4 FROM ledger WHERE tenant_id = $1 AND seq = $2`,
    [tenant, through, through - checkpointSeq, createdAt],
  );
  if (written.rowCount === 0) return step;
  await client.query('DELETE FROM ledger WHERE tenant_id = $1 AND seq <= $2', [tenant, through]);
  return { ...step, checkpoints: 1 };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
