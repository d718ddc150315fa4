import type pg from 'pg';
import {
  applyEvent,
  contextSpansOf,
  parseJsonExact,
  type ContextSpan,
  type SelectedContextSpans,
  type ReadonlyDecisionEvent,
  type DecisionRecord,
} from '@decision-trace/model';
import type { PostgresStoreHandle } from './store-handle.js';
import { inTransaction } from './transaction.js';
import { rollUpRecords } from './rollups.js';
import { insertContextSpans, recordKey, refreshAfterAppend, refreshTokenUsage, syncCausalLinks, type TransactionRecords } from './trace-tables.js';
import { GroupCommit } from '../group-commit.js';
import { DECISION_ROW_WIDTH, decisionRowValues } from '../decision-row.js';
import { canonicalLedgerEntry, chainHash, GENESIS_HASH } from '../ledger-hash.js';
import { toLedgerEvents, type LedgerEvents } from '../ledger-events.js';
import type { ChainHead } from '../witness/chain-heads.js';
import type { AppendResult } from '../store.js';

/** Attempts of one append transaction when PostgreSQL reports a transient conflict. */
const APPEND_ATTEMPTS = 3;
/** SQLSTATEs worth retrying: serialization failure, deadlock detected, unique violation (a racing writer without the lock). */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505']);

/**
 * The PostgreSQL store's writes to the ledger: append calls grouped into one transaction at a
 * time, and context spans, each under the chain heads of their tenants (see PostgresDecisionStore).
 */
export class PostgresLedgerWriter {
  readonly #handle: PostgresStoreHandle;
  /** One group transaction at a time; calls arriving meanwhile form the next group. */
  readonly #appends = new GroupCommit<LedgerEvents, AppendResult>({
    commit: async (calls) => (await this.#commitWithRetry(calls)).map((result) => ({ result })),
    maxInFlight: 1,
    retryRejectedAlone: true,
  });
  #commits = 0;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  /**
   * Calls made while a group transaction is running (or in the same event-loop turn) commit
   * together in the next one; each resolves after that commit. If a group fails, each of its
   * calls is retried in a transaction of its own so that one bad call cannot fail the others.
   */
  append(events: readonly ReadonlyDecisionEvent[]): Promise<AppendResult> {
    if (events.length === 0) return Promise.resolve({ appended: 0, duplicates: 0 });
    let call: LedgerEvents;
    try {
      call = toLedgerEvents(events);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#handle.closed) return Promise.reject(new Error('store is closed'));
    return this.#appends.add(call);
  }

  /**
   * One transaction per call, holding the chain heads of the spans' tenants as an append does:
   * a roll-up then always sees every span and decision of its trace committed before it.
   */
  async appendContextSpans(input: ContextSpan[] | SelectedContextSpans): Promise<AppendResult> {
    this.#handle.assertOpen();
    const spans = Array.isArray(input) ? input : contextSpansOf(input);
    if (spans.length === 0) return { appended: 0, duplicates: 0 };
    return this.#withRetry(() =>
      inTransaction(this.#handle.pool, 'BEGIN', async (client) => {
        await lockChains(
          client,
          spans.map((span) => span.tenant),
        );
        const { appended, duplicates, touched } = await insertContextSpans(client, spans);
        const transaction: TransactionRecords = { records: new Map(), priors: new Map() };
        await refreshTokenUsage(client, [...touched.values()], transaction);
        await writeRecords(client, transaction.records.values());
        await rollUpRecords(client, transaction);
        await syncCausalLinks(client, transaction);
        return { appended, duplicates };
      }),
    );
  }

  /** Resolves once the appends already accepted have been committed or failed. */
  drained(): Promise<void> {
    return this.#appends.drained();
  }

  /** Each tenant's chain head, for tenants that have appended. */
  async chainHeads(): Promise<Array<{ tenant_id: string; seq: number; hash: string }>> {
    const ledger = await this.#handle.pool.query<{ tenant_id: string; seq: number; hash: string }>(
      'SELECT tenant_id, seq, hash FROM ledger_heads WHERE seq > 0',
    );
    return ledger.rows;
  }

  /** Append transactions committed so far (several concurrent append calls share one). */
  get commits(): number {
    return this.#commits;
  }

  async #commitWithRetry(calls: readonly LedgerEvents[]): Promise<AppendResult[]> {
    const { results, heads } = await this.#withRetry(() => inTransaction(this.#handle.pool, 'BEGIN', (client) => appendCalls(client, calls)));
    this.#commits += 1;
    const witness = this.#handle.witness;
    if (witness !== null) for (const [tenant, head] of heads) witness.noteLedger(tenant, head);
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
async function appendCalls(client: pg.PoolClient, calls: readonly LedgerEvents[]): Promise<{ results: AppendResult[]; heads: Map<string, ChainHead> }> {
  const heads = await lockChains(
    client,
    calls.flatMap(({ events }) => events.map((event) => event.tenant_id)),
  );

  const stored = await client.query<{ tenant_id: string; event_id: string }>(
    `SELECT l.tenant_id, l.event_id FROM ledger l
     JOIN unnest($1::text[], $2::text[]) AS wanted(tenant_id, event_id)
       ON l.tenant_id = wanted.tenant_id AND l.event_id = wanted.event_id`,
    [calls.flatMap(({ events }) => events.map((e) => e.tenant_id)), calls.flatMap(({ events }) => events.map((e) => e.event_id))],
  );
  const seen = new Set(stored.rows.map((row) => recordKey(row.tenant_id, row.event_id)));

  const receivedAt = new Date().toISOString();
  const ledger = new LedgerColumns();
  const newEvents: ReadonlyDecisionEvent[] = [];
  const results = calls.map(({ events, eventJson }): AppendResult => {
    let appended = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const key = recordKey(event.tenant_id, event.event_id);
      if (seen.has(key)) continue;
      seen.add(key);
      const head = heads.get(event.tenant_id)!;
      const seq = head.seq + 1;
      const hash = chainHash(head.hash, canonicalLedgerEntry(event.tenant_id, seq, receivedAt, eventJson[i]!));
      ledger.add(event, seq, eventJson[i]!, head.hash, hash);
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
  await rollUpRecords(client, transaction);
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

  add(event: ReadonlyDecisionEvent, seq: number, eventJson: string, prevHash: string, hash: string): void {
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
async function readRecords(client: pg.PoolClient, events: readonly ReadonlyDecisionEvent[]): Promise<Map<string, DecisionRecord | undefined>> {
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
