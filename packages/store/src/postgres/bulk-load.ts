import type pg from 'pg';
import {
  applyEvent,
  rollUpTokenUsage,
  sameTokenUsage,
  type ContextSpan,
  type DecisionRecord,
  type ReadonlyDecisionEvent,
  type RollupSpan,
  type TokenCounts,
} from '@decision-trace/model';
import { DECISION_COLUMNS, decisionRowValues, recordJson } from '../decision-row.js';
import { insertColumns, packColumns, type InsertColumn, type PackedColumns } from './column-insert.js';
import { canonicalLedgerEntry, chainHash, GENESIS_HASH } from '../ledger-hash.js';
import { toLedgerEvents } from '../ledger-events.js';
import { parseStoredRecord } from '../stored-json.js';
import { rollUpRecords } from './rollups.js';
import type { ChainHead } from '../witness/chain-heads.js';

/**
 * A bulk load into the PostgreSQL store, for decisions the store has never seen: the rows that
 * `append(events)` followed by `appendContextSpans(spans)` would write — ledger rows on each
 * tenant's hash chain, the records folded from the events with the spans' token usage rolled up,
 * the context spans, the causal-link index, the hourly stats roll-ups, the chain heads — in one transaction of a few
 * statements, where the append path reads and rolls up each trace with statements of its own
 * (150–200 decisions/s). It serves loading a large store once (the benchmark's 10M-decision
 * fixture); collectors append. test/bulk-load.test.ts checks that both paths leave the same
 * tables.
 *
 * What it takes, and refuses otherwise (so that nothing stored has to be read and folded
 * again): events of decisions not stored yet, each event id once; spans of traces that hold no
 * stored span or decision yet, each span once; trace ids in lowercase (the store matches spans
 * to decisions by the lowercase id). The caller's connection must see the store's tables (its
 * search_path, for a store in a schema); the store's migrations must have run.
 */
export interface BulkLoadInput {
  events: readonly ReadonlyDecisionEvent[];
  spans: readonly ContextSpan[];
}

export interface BulkLoadResult {
  events: number;
  decisions: number;
  spans: number;
}

/**
 * What a load writes, worked out before it touches the database (validation, the ledger rows'
 * JSON, the records folded and rolled up, the rows of decisions and spans): everything but the
 * hash chain, which continues from the chain heads the load locks. A caller loading in chunks
 * prepares the next chunk while the server writes the current one.
 */
export interface PreparedBulkLoad {
  readonly kind: 'prepared-bulk-load';
  /** The ledger rows but their chain fields, column by column: tenant_id, event_id, decision_id, event_type, timestamp, event (JSON). */
  readonly ledger: readonly [string[], string[], string[], string[], string[], string[]];
  readonly spanCount: number;
  readonly records: ReadonlyMap<string, DecisionRecord>;
  /** The rows of decisions, context_spans and causal_links. */
  readonly decisions: PackedColumns;
  readonly spans: PackedColumns;
  readonly links: PackedColumns;
  /** What assertNothingStored looks up, column by column: tenants and ids. */
  readonly decisionKeys: readonly [string[], string[]];
  readonly traceKeys: readonly [string[], string[]];
  readonly tenants: readonly string[];
}

/** Checks and prepares `input` for bulkLoadPostgres (see PreparedBulkLoad); throws what the load would refuse. */
export function prepareBulkLoad(input: BulkLoadInput): PreparedBulkLoad {
  const { spans } = input;
  const { events, eventJson } = toLedgerEvents(input.events);
  for (const event of events) {
    if (event.trace_id !== null && event.trace_id !== event.trace_id.toLowerCase()) {
      throw new Error(`bulk load takes lowercase trace ids; event ${event.event_id} has ${event.trace_id}`);
    }
  }
  assertUnique(
    events.map((event) => key(event.tenant_id, event.event_id)),
    'event',
  );
  assertUnique(
    spans.map((span) => `${key(span.tenant, span.trace_id.toLowerCase())}\u0000${span.span_id}`),
    'context span',
  );
  // The records as append folds them, then the spans' roll-up as appendContextSpans applies it.
  const records = new Map<string, DecisionRecord>();
  for (const event of events) {
    const id = key(event.tenant_id, event.decision_id);
    records.set(id, applyEvent(records.get(id), event));
  }
  rollUp(records, spans);

  const traces = new Map<string, readonly [string, string]>();
  for (const event of events) if (event.trace_id !== null) traces.set(key(event.tenant_id, event.trace_id), [event.tenant_id, event.trace_id]);
  for (const span of spans) traces.set(key(span.tenant, span.trace_id.toLowerCase()), [span.tenant, span.trace_id.toLowerCase()]);
  return {
    kind: 'prepared-bulk-load',
    ledger: [
      events.map((event) => event.tenant_id),
      events.map((event) => event.event_id),
      events.map((event) => event.decision_id),
      events.map((event) => event.event_type),
      events.map((event) => event.timestamp),
      eventJson,
    ],
    spanCount: spans.length,
    records,
    decisions: packColumns(DECISION_INSERT_COLUMNS, decisionColumns(records.values())),
    spans: packColumns(SPAN_COLUMNS, spanColumns(spans)),
    links: packColumns(LINK_COLUMNS, linkColumns(records.values())),
    decisionKeys: [[...records.values()].map((record) => record.tenant), [...records.values()].map((record) => record.id)],
    traceKeys: [[...traces.values()].map((trace) => trace[0]), [...traces.values()].map((trace) => trace[1])],
    tenants: [...new Set([...events.map((event) => event.tenant_id), ...spans.map((span) => span.tenant)])],
  };
}

/**
 * Loads `input` (or what prepareBulkLoad made of it) in one transaction on `client`; `receivedAt`
 * (default now) is the ledger rows' reception time.
 */
export async function bulkLoadPostgres(
  client: pg.ClientBase,
  input: BulkLoadInput | PreparedBulkLoad,
  receivedAt = new Date().toISOString(),
): Promise<BulkLoadResult> {
  const prepared = 'kind' in input ? input : prepareBulkLoad(input);
  const { records } = prepared;
  const [tenantIds, eventIds, decisionIds, eventTypes, timestamps, eventJson] = prepared.ledger;
  await client.query('BEGIN');
  try {
    const heads = await lockChains(client, prepared.tenants);
    await assertNothingStored(client, prepared);

    // The ledger rows, chained in the order given (append's order).
    const count = tenantIds.length;
    const [seqs, prevHashes, hashes] = [new Array<number>(count), new Array<string>(count), new Array<string>(count)];
    for (let i = 0; i < count; i++) {
      const tenant = tenantIds[i]!;
      const head = heads.get(tenant)!;
      const seq = head.seq + 1;
      const hash = chainHash(head.hash, canonicalLedgerEntry(tenant, seq, receivedAt, eventJson[i]!));
      [seqs[i], prevHashes[i], hashes[i]] = [seq, head.hash, hash];
      heads.set(tenant, { seq, hash });
    }
    const ledger = [tenantIds, seqs, eventIds, decisionIds, eventTypes, timestamps, new Array<string>(count).fill(receivedAt), eventJson, prevHashes, hashes];
    await insertColumns(client, 'ledger', LEDGER_COLUMNS, packColumns(LEDGER_COLUMNS, ledger));
    await insertColumns(client, 'decisions', DECISION_INSERT_COLUMNS, prepared.decisions);
    // The hourly stats roll-ups of the new records (no priors: none was stored), with the append
    // path's code. It only queries: a plain client serves as well as a pooled one.
    await rollUpRecords(client as pg.PoolClient, { records, priors: new Map() });
    await insertColumns(client, 'context_spans', SPAN_COLUMNS, prepared.spans);
    await insertColumns(client, 'causal_links', LINK_COLUMNS, prepared.links, 'ON CONFLICT DO NOTHING');
    const tenants = [...new Set(tenantIds)];
    await client.query(
      `UPDATE ledger_heads AS h SET seq = v.seq, hash = v.hash
       FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(tenant_id, seq, hash)
       WHERE h.tenant_id = v.tenant_id`,
      [tenants, tenants.map((t) => heads.get(t)!.seq), tenants.map((t) => heads.get(t)!.hash)],
    );
    await client.query('COMMIT');
    return { events: count, decisions: records.size, spans: prepared.spanCount };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function key(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

function assertUnique(keys: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw new Error(`bulk load takes each ${what} once; ${k.replaceAll('\u0000', '/')} is given twice`);
    seen.add(k);
  }
}

/** Locks (creating missing ones) the tenants' chain heads in sorted order, as the append path does. */
async function lockChains(client: pg.ClientBase, tenantIds: readonly string[]): Promise<Map<string, ChainHead>> {
  const tenants = [...new Set(tenantIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await client.query(
    `INSERT INTO ledger_heads (tenant_id, seq, hash) SELECT tenant, 0, $2 FROM unnest($1::text[]) AS tenant
     ON CONFLICT (tenant_id) DO NOTHING`,
    [tenants, GENESIS_HASH],
  );
  const { rows } = await client.query<{ tenant_id: string; seq: string | number; hash: string }>(
    'SELECT tenant_id, seq, hash FROM ledger_heads WHERE tenant_id = ANY($1::text[]) ORDER BY tenant_id FOR UPDATE',
    [tenants],
  );
  return new Map(rows.map((row) => [row.tenant_id, { seq: Number(row.seq), hash: row.hash }]));
}

/** Refuses input that meets stored rows: a stored event, decision, or a trace with stored spans or decisions. */
async function assertNothingStored(client: pg.ClientBase, prepared: PreparedBulkLoad): Promise<void> {
  const { ledger, decisionKeys, traceKeys } = prepared;
  const { rows } = await client.query<{ what: string; tenant_id: string; id: string }>(
    `(SELECT 'event' AS what, l.tenant_id, l.event_id AS id FROM ledger l
        JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, event_id) ON l.tenant_id = w.tenant_id AND l.event_id = w.event_id LIMIT 1)
     UNION ALL
     (SELECT 'decision', d.tenant_id, d.id FROM decisions d
        JOIN unnest($3::text[], $4::text[]) AS w(tenant_id, id) ON d.tenant_id = w.tenant_id AND d.id = w.id LIMIT 1)
     UNION ALL
     (SELECT 'trace', w.tenant_id, w.trace_id FROM unnest($5::text[], $6::text[]) AS w(tenant_id, trace_id)
        WHERE EXISTS (SELECT 1 FROM context_spans s WHERE s.trace_id = w.trace_id AND s.tenant_id = w.tenant_id)
           OR EXISTS (SELECT 1 FROM decisions d WHERE d.trace_id = w.trace_id AND d.tenant_id = w.tenant_id) LIMIT 1)`,
    [ledger[0], ledger[1], ...decisionKeys, ...traceKeys],
  );
  if (rows.length > 0) {
    const row = rows[0]!;
    throw new Error(`bulk load is for what the store does not hold yet; ${row.what} ${row.tenant_id}/${row.id} is stored already`);
  }
}

/**
 * The token roll-up of each trace that got spans onto its decisions, as appendContextSpans
 * computes it after the events' append: a record whose usage changes is the stored record (its
 * JSON read back) with the new usage.
 */
function rollUp(records: Map<string, DecisionRecord>, spans: readonly ContextSpan[]): void {
  const traceSpans = new Map<string, RollupSpan[]>();
  for (const span of spans) {
    const trace = key(span.tenant, span.trace_id.toLowerCase());
    let list = traceSpans.get(trace);
    if (list === undefined) traceSpans.set(trace, (list = []));
    // The usage as the span's token_usage column gives it back.
    const tokenUsage = span.token_usage === null ? null : (JSON.parse(JSON.stringify(span.token_usage)) as TokenCounts);
    list.push({ span_id: span.span_id, parent_span_id: span.parent_span_id, kind: span.kind, token_usage: tokenUsage });
  }
  const traceRecords = new Map<string, string[]>();
  for (const [id, record] of records) {
    if (record.trace_id === null) continue;
    const trace = key(record.tenant, record.trace_id);
    if (!traceSpans.has(trace)) continue;
    const list = traceRecords.get(trace);
    if (list === undefined) traceRecords.set(trace, [id]);
    else list.push(id);
  }
  for (const [trace, rollupSpans] of traceSpans) {
    const ids = traceRecords.get(trace) ?? [];
    const anchors = ids.map((id) => records.get(id)!);
    for (const [decisionId, usage] of rollUpTokenUsage(rollupSpans, anchors)) {
      const id = key(anchors[0]!.tenant, decisionId);
      const record = records.get(id)!;
      if (sameTokenUsage(record.token_usage, usage.token_usage) && sameTokenUsage(record.token_usage_with_nested, usage.token_usage_with_nested)) continue;
      records.set(id, { ...parseStoredRecord(recordJson(record)), token_usage: usage.token_usage, token_usage_with_nested: usage.token_usage_with_nested });
    }
  }
}

const LEDGER_COLUMNS: readonly InsertColumn[] = [
  { name: 'tenant_id', type: 'text' },
  { name: 'seq', type: 'bigint' },
  { name: 'event_id', type: 'text' },
  { name: 'decision_id', type: 'text' },
  { name: 'event_type', type: 'text' },
  { name: 'timestamp', type: 'text' },
  { name: 'received_at', type: 'text' },
  { name: 'event', type: 'text', json: true },
  { name: 'prev_hash', type: 'text' },
  { name: 'hash', type: 'text' },
];

/** The PostgreSQL type of each decisions column (migrations.ts). */
const DECISION_COLUMN_TYPES: Record<(typeof DECISION_COLUMNS)[number], string> = {
  tenant_id: 'text',
  id: 'text',
  type: 'text',
  version: 'text',
  outcome: 'text',
  status: 'text',
  start_time: 'text',
  end_time: 'text',
  sort_time: 'bigint',
  trace_id: 'text',
  parent_decision_id: 'text',
  environment: 'text',
  service_name: 'text',
  actor_id: 'text',
  actor_type: 'text',
  confidence: 'float8',
  event_count: 'integer',
  updated_at: 'text',
  record: 'text',
  duration_ms: 'float8',
  adjusted_count: 'float8',
  has_violations: 'smallint',
  input_tokens: 'float8',
  output_tokens: 'float8',
  total_tokens: 'float8',
};

const DECISION_INSERT_COLUMNS: readonly InsertColumn[] = DECISION_COLUMNS.map((name) => ({ name, type: DECISION_COLUMN_TYPES[name], json: name === 'record' }));

function decisionColumns(records: Iterable<DecisionRecord>): unknown[][] {
  const columns: unknown[][] = DECISION_COLUMNS.map(() => []);
  for (const record of records) {
    const values = decisionRowValues(record);
    for (let c = 0; c < values.length; c++) columns[c]!.push(values[c]);
  }
  return columns;
}

const SPAN_COLUMNS: readonly InsertColumn[] = [
  { name: 'tenant_id', type: 'text' },
  { name: 'trace_id', type: 'text' },
  { name: 'span_id', type: 'text' },
  { name: 'parent_span_id', type: 'text' },
  { name: 'kind', type: 'text' },
  { name: 'token_usage', type: 'text', json: true },
  { name: 'span', type: 'text', json: true },
];

/** The spans as the append path's insertContextSpans stores them (the span's JSON with its trace id in lowercase). */
function spanColumns(spans: readonly ContextSpan[]): unknown[][] {
  const columns: unknown[][] = SPAN_COLUMNS.map(() => new Array<unknown>(spans.length));
  spans.forEach((span, i) => {
    const traceId = span.trace_id.toLowerCase();
    columns[0]![i] = span.tenant;
    columns[1]![i] = traceId;
    columns[2]![i] = span.span_id;
    columns[3]![i] = span.parent_span_id;
    columns[4]![i] = span.kind;
    columns[5]![i] = span.token_usage === null ? null : JSON.stringify(span.token_usage);
    columns[6]![i] = JSON.stringify(traceId === span.trace_id ? span : { ...span, trace_id: traceId });
  });
  return columns;
}

const LINK_COLUMNS: readonly InsertColumn[] = [
  { name: 'tenant_id', type: 'text' },
  { name: 'source_id', type: 'text' },
  { name: 'type', type: 'text' },
  { name: 'target_id', type: 'text' },
];

function linkColumns(records: Iterable<DecisionRecord>): unknown[][] {
  const links: unknown[][] = [[], [], [], []];
  for (const record of records) {
    for (const link of record.causal_links) {
      links[0]!.push(record.tenant);
      links[1]!.push(record.id);
      links[2]!.push(link.type);
      links[3]!.push(link.target_decision_id);
    }
  }
  return links;
}
