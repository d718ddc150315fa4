import {
  applyEvent,
  parseJsonExact,
  type ContextSpan,
  type ReadonlyDecisionEvent,
  type DecisionRecord,
  type SelectedContextSpans,
} from '@decision-trace/model';
import type { SqliteDatabase, SqliteTransaction } from './sqlite-driver.js';
import type { SqliteStoreHandle } from './store-handle.js';
import { ContextSpanTransaction, recordKey, type SqliteTraceTables, type TransactionRecords } from './trace-tables.js';
import { SqliteRollups } from './rollups.js';
import { decisionRowValues } from '../decision-row.js';
import { canonicalLedgerEntry, chainHash, GENESIS_HASH } from '../ledger-hash.js';
import { submitAppendCall, type AppendCall } from '../append-call.js';
import { GroupCommit } from '../group-commit.js';
import type { ChainHead } from '../witness/chain-heads.js';
import type { AppendResult } from '../store.js';

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

function prepareStatements(db: SqliteDatabase) {
  return {
    insertLedger: db.prepare<[string, number, string, string, string, string, string, string, string, string]>(
      `INSERT INTO ledger (tenant_id, seq, event_id, decision_id, event_type, timestamp, received_at, event, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, event_id) DO NOTHING`,
    ),
    selectTail: db.prepare<[string], ChainHead>('SELECT seq, hash FROM ledger WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1'),
    // The tenant's newest checkpoint: its chain goes on only after it (migration 16).
    checkpointSeq: db.prepare<[string], number | null>('SELECT max(seq) FROM ledger_checkpoints WHERE tenant_id = ?').pluck(),
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
    // A decision's entry among its trace's members (migration 14), beside its trace's packs.
    insertTraceMember: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO trace_members (trace_id, tenant_id, member) VALUES (?, ?, ?)'),
    deleteTraceMember: db.prepare<[string, string, string]>('DELETE FROM trace_members WHERE trace_id = ? AND tenant_id = ? AND member = ?'),
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
  };
}

/**
 * The SQLite store's writes to the ledger: append and appendContextSpans calls, grouped per
 * event-loop turn into one transaction that extends each tenant's hash chain, folds the events
 * into their records and keeps the trace tables (trace-tables.ts) in step.
 */
export class SqliteLedgerWriter {
  readonly #handle: SqliteStoreHandle;
  readonly #statements: ReturnType<typeof prepareStatements>;
  /** Context spans, token roll-up and the causal-link index (migration 3). */
  readonly #traces: SqliteTraceTables;
  /** Hourly stats roll-ups, changed with the records they count (rollups.ts). */
  readonly #rollups: SqliteRollups;
  /** Told after each committed append transaction (the store's WAL checkpointer). */
  readonly #afterCommit: () => void;
  /** Last seq and hash per tenant, read once; only updated after a commit. */
  readonly #tails = new Map<string, ChainHead>();
  readonly #appendTransaction: SqliteTransaction<(calls: ReadonlyArray<AppendCall>) => { results: AppendResult[]; tails: Map<string, ChainHead> }>;
  /**
   * Calls of one event-loop turn commit in one transaction (synchronously: nothing else runs
   * meanwhile); a group that fails is tried call by call.
   */
  readonly #appends = new GroupCommit<AppendCall, AppendResult>({
    commit: (calls) => this.#commitWithRetry(calls).map((result) => ({ result })),
    maxInFlight: 1,
    retryRejectedAlone: true,
  });
  #commits = 0;

  constructor(handle: SqliteStoreHandle, traces: SqliteTraceTables, afterCommit: () => void) {
    this.#handle = handle;
    this.#traces = traces;
    this.#afterCommit = afterCommit;
    this.#statements = prepareStatements(handle.db);
    this.#rollups = new SqliteRollups(handle.db);
    this.#appendTransaction = handle.db.transaction((calls: ReadonlyArray<AppendCall>) => this.#appendAll(calls));
  }

  /**
   * Appends are grouped (group-commit.ts): calls made in the same event-loop turn (concurrent
   * requests) commit in one transaction, which costs about as much as one call's alone. Each
   * call resolves only after that commit. If the group fails, each call is retried in a
   * transaction of its own so one bad call cannot fail the others. `appendContextSpans` calls
   * join the same group.
   */
  append(events: readonly ReadonlyDecisionEvent[]): Promise<AppendResult> {
    return submitAppendCall({ events }, (call) => this.#enqueue(call));
  }

  appendContextSpans(spans: ContextSpan[] | SelectedContextSpans): Promise<AppendResult> {
    return submitAppendCall({ spans }, (call) => this.#enqueue(call));
  }

  /** An append or appendContextSpans call already checked, encoded and packed by appendCallOf. */
  appendPrepared(call: AppendCall): Promise<AppendResult> {
    return this.#enqueue(call);
  }

  /** Commits the calls still waiting for the end of this turn (the store is closing). */
  flush(): void {
    this.#appends.flush({ evenAtLimit: true });
  }

  /** Append transactions committed so far (several concurrent append calls share one). */
  get commits(): number {
    return this.#commits;
  }

  /** Each tenant's newest ledger seq and hash. */
  chainHeads(): Array<{ tenant_id: string; seq: number; hash: string }> {
    return this.#statements.selectChainHeads.all();
  }

  #enqueue(call: AppendCall): Promise<AppendResult> {
    if (this.#handle.closed) return Promise.reject(new Error('store is closed'));
    return this.#appends.add(call);
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

  #commitAppend(calls: ReadonlyArray<AppendCall>): AppendResult[] {
    const { results, tails } = this.#appendTransaction.immediate(calls);
    this.#commits += 1;
    this.#afterCommit();
    for (const [tenant, tail] of tails) {
      this.#tails.set(tenant, tail);
      this.#handle.witness?.noteLedger(tenant, tail);
    }
    return results;
  }

  /** Runs inside the append transaction; one result per call. */
  #appendAll(calls: ReadonlyArray<AppendCall>): { results: AppendResult[]; tails: Map<string, ChainHead> } {
    const { insertLedger } = this.#statements;
    const receivedAt = new Date().toISOString();
    const tails = new Map<string, ChainHead>();
    // Records touched by this transaction, written once at the end however many events they got.
    const transaction: TransactionRecords = { records: new Map(), priors: new Map() };
    const { records, priors } = transaction;
    const results: AppendResult[] = [];
    // Tenants whose chain start this transaction checked against their checkpoint.
    const checked = new Set<string>();
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
        let tail = tails.get(tenant);
        if (tail === undefined) {
          tail = this.#tails.get(tenant) ?? this.#readTail(tenant);
          if (!checked.has(tenant)) {
            this.#assertAfterCheckpoint(tenant, tail);
            checked.add(tenant);
          }
        }
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
    this.#rollups.afterWrite(records, priors);
    return { results, tails };
  }

  #readTail(tenant: string): ChainHead {
    return this.#statements.selectTail.get(tenant) ?? { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * Refuses a chain tail behind the tenant's newest checkpoint (migration 16, which replaced
   * migration 2's per-row trigger): retention deleted rows up to it, so a writer whose cached
   * tail predates it (another connection on the file ran retention) would reuse a seq that no
   * unique key holds any more. The error makes the commit read its tails again, as after a
   * (tenant_id, seq) conflict.
   */
  #assertAfterCheckpoint(tenant: string, tail: ChainHead): void {
    const checkpoint = this.#statements.checkpointSeq.get(tenant);
    if (checkpoint !== null && checkpoint !== undefined && tail.seq < checkpoint) throw new SeqBehindCheckpointError(tenant, tail.seq + 1, checkpoint);
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
    // The row's trace_id is the record's; its member moves only when that changes (a trace
    // learnt later: envelope fields keep the first one given).
    const traceId = record.trace_id;
    const priorTraceId = prior === undefined ? null : prior.trace_id;
    if (traceId !== priorTraceId || prior === undefined) {
      if (priorTraceId !== null) this.#statements.deleteTraceMember.run(priorTraceId, record.tenant, record.id);
      if (traceId !== null) this.#statements.insertTraceMember.run(traceId, record.tenant, record.id);
    }
  }
}

/** A ledger row would get a seq at or before its tenant's newest checkpoint. */
class SeqBehindCheckpointError extends Error {
  constructor(tenant: string, seq: number, checkpoint: number) {
    super(`ledger.seq ${seq} of tenant ${JSON.stringify(tenant)} is at or before the tenant's checkpoint (seq ${checkpoint})`);
    this.name = 'SeqBehindCheckpointError';
  }
}

/**
 * A unique-key conflict on the chain, or a seq behind a checkpoint (checked by the writer; by
 * migration 2's trigger in a store not yet migrated to 16).
 */
function isSeqConflict(error: unknown): boolean {
  if (error instanceof SeqBehindCheckpointError) return true;
  if (!(error instanceof Error) || !error.message.includes('ledger.seq')) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_TRIGGER';
}
