import type pg from 'pg';
import {
  rollUpTokenUsage,
  sameTokenUsage,
  type ContextSpan,
  type DecisionAnchor,
  type DecisionRecord,
  type RollupSpan,
  type TokenCounts,
  type TokenUsage,
} from '@decision-trace/model';
import { compareContextSpans } from '../context-span-order.js';
import { neighborLimit } from '../neighbor-limit.js';
import type { AppendResult, TraceDetail } from '../store.js';
import { parseStoredRecord, parseStoredJson } from '../stored-json.js';

/**
 * The PostgreSQL side of the trace view and the decision graph (as sqlite/trace-tables.ts):
 * context spans with the token roll-up they feed, and the causal links indexed by target. The
 * writing functions run inside the caller's transaction, which holds the tenants' chain heads,
 * so a roll-up always sees every span and decision of its trace committed before it.
 */

/** Records a transaction changes, by recordKey, and their state before it (undefined: new). */
export interface TransactionRecords {
  records: Map<string, DecisionRecord>;
  priors: Map<string, DecisionRecord | undefined>;
}

export interface TraceKey {
  tenant: string;
  traceId: string;
}

export function recordKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

/** Stores the spans; returns the counts and the traces that got a new span. */
export async function insertContextSpans(client: pg.PoolClient, spans: readonly ContextSpan[]): Promise<AppendResult & { touched: Map<string, TraceKey> }> {
  const columns: unknown[][] = Array.from({ length: 7 }, () => []);
  for (const span of spans) {
    const traceId = span.trace_id.toLowerCase();
    const values = [
      span.tenant,
      traceId,
      span.span_id,
      span.parent_span_id,
      span.kind,
      span.token_usage === null ? null : JSON.stringify(span.token_usage),
      JSON.stringify(traceId === span.trace_id ? span : { ...span, trace_id: traceId }),
    ];
    values.forEach((value, i) => columns[i]!.push(value));
  }
  const { rows } = await client.query<{ tenant_id: string; trace_id: string }>(
    `INSERT INTO context_spans (tenant_id, trace_id, span_id, parent_span_id, kind, token_usage, span)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
     ON CONFLICT (tenant_id, trace_id, span_id) DO NOTHING
     RETURNING tenant_id, trace_id`,
    columns,
  );
  const touched = new Map<string, TraceKey>();
  for (const row of rows) touched.set(recordKey(row.tenant_id, row.trace_id), { tenant: row.tenant_id, traceId: row.trace_id });
  return { appended: rows.length, duplicates: spans.length - rows.length, touched };
}

/**
 * After events were applied: traces in which a decision got its span (a new decision, or one
 * whose span became known) are rolled up again, since the new decision may take LLM calls from
 * an ancestor's `token_usage`.
 */
export async function refreshAfterAppend(client: pg.PoolClient, transaction: TransactionRecords): Promise<void> {
  const traces = new Map<string, TraceKey>();
  for (const [key, record] of transaction.records) {
    if (record.trace_id === null || record.span_id === null) continue;
    const prior = transaction.priors.get(key);
    if (prior !== undefined && prior.span_id === record.span_id && prior.trace_id === record.trace_id) continue;
    const traceId = record.trace_id.toLowerCase();
    traces.set(recordKey(record.tenant, traceId), { tenant: record.tenant, traceId });
  }
  await refreshTokenUsage(client, [...traces.values()], transaction);
}

/** The stored decisions of traces, with what the roll-up reads of their records. */
interface TraceDecisionRow {
  tenant_id: string;
  trace_id: string;
  id: string;
  span_id: string | null;
  token_usage: TokenUsage | null;
  token_usage_with_nested: TokenUsage | null;
}

/**
 * The stored decisions of the traces ($1 tenants, $2 lowercase trace ids, pairwise). json, not
 * jsonb: a record may hold \u0000, which jsonb refuses. The rows are found by trace id
 * (decisions_by_trace) and only then by tenant: a tenant new to a large store has no statistics
 * yet, and the planner, guessing one row, walked all of that tenant's decisions through a
 * (tenant_id, …) index for every trace — ingest into a 2.5M store ran at 0.4× an empty one's
 * (bench store_scale; test/postgres-trace-plans.test.ts).
 */
export const TRACE_DECISIONS_SQL = `WITH trace_rows AS MATERIALIZED (
    SELECT tenant_id, trace_id, id, record FROM decisions WHERE trace_id = ANY($2::text[])
  )
  SELECT tenant_id, trace_id, id, r->>'span_id' AS span_id, r->'token_usage' AS token_usage, r->'token_usage_with_nested' AS token_usage_with_nested
  FROM (
    SELECT tenant_id, trace_id, id, record::json AS r FROM trace_rows
    WHERE (tenant_id, trace_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
  ) AS d`;

/**
 * Rolls each trace's stored spans up onto its decisions (stored ones and those of the
 * transaction); records whose usage changes are put into the transaction's records. Three
 * statements whatever the number of traces: their spans, their stored decisions, and the stored
 * records whose usage changes. A decision belongs to one trace, so the traces' roll-ups are
 * independent of each other.
 */
export async function refreshTokenUsage(client: pg.PoolClient, traces: readonly TraceKey[], transaction: TransactionRecords): Promise<void> {
  if (traces.length === 0) return;
  const keys = [traces.map((trace) => trace.tenant), traces.map((trace) => trace.traceId)];
  const spanRows = await client.query<{
    tenant_id: string;
    trace_id: string;
    span_id: string;
    parent_span_id: string | null;
    kind: string | null;
    token_usage: string | null;
  }>(
    `SELECT s.tenant_id, s.trace_id, s.span_id, s.parent_span_id, s.kind, s.token_usage
     FROM unnest($1::text[], $2::text[]) AS t(tenant_id, trace_id)
     JOIN context_spans s ON s.tenant_id = t.tenant_id AND s.trace_id = t.trace_id`,
    keys,
  );
  if (spanRows.rows.length === 0) return;
  const traceSpans = new Map<string, RollupSpan[]>();
  for (const row of spanRows.rows) {
    const trace = recordKey(row.tenant_id, row.trace_id);
    let spans = traceSpans.get(trace);
    if (spans === undefined) traceSpans.set(trace, (spans = []));
    spans.push({
      span_id: row.span_id,
      parent_span_id: row.parent_span_id,
      kind: row.kind as RollupSpan['kind'],
      token_usage: row.token_usage === null ? null : (JSON.parse(row.token_usage) as TokenCounts),
    });
  }

  const rolled = traces.filter((trace) => traceSpans.has(recordKey(trace.tenant, trace.traceId)));
  const decisionRows = await client.query<TraceDecisionRow>(TRACE_DECISIONS_SQL, [rolled.map((trace) => trace.tenant), rolled.map((trace) => trace.traceId)]);
  const traceRows = new Map<string, TraceDecisionRow[]>();
  for (const row of decisionRows.rows) {
    const trace = recordKey(row.tenant_id, row.trace_id);
    const rows = traceRows.get(trace);
    if (rows === undefined) traceRows.set(trace, [row]);
    else rows.push(row);
  }
  const traceRecords = new Map<string, DecisionRecord[]>();
  for (const record of transaction.records.values()) {
    if (record.trace_id === null) continue;
    const trace = recordKey(record.tenant, record.trace_id.toLowerCase());
    const records = traceRecords.get(trace);
    if (records === undefined) traceRecords.set(trace, [record]);
    else records.push(record);
  }

  // Stored records whose usage changes, read in one statement below.
  const changed = new Map<string, { tenant: string; id: string; usage: Pick<DecisionRecord, 'token_usage' | 'token_usage_with_nested'> }>();
  for (const { tenant, traceId } of rolled) {
    const trace = recordKey(tenant, traceId);
    const anchors: DecisionAnchor[] = [];
    const storedUsage = new Map<string, TraceDecisionRow>();
    for (const row of traceRows.get(trace) ?? []) {
      storedUsage.set(row.id, row);
      if (!transaction.records.has(recordKey(tenant, row.id))) anchors.push({ id: row.id, span_id: row.span_id });
    }
    anchors.push(...(traceRecords.get(trace) ?? []));
    for (const [id, usage] of rollUpTokenUsage(traceSpans.get(trace)!, anchors)) {
      const key = recordKey(tenant, id);
      const record = transaction.records.get(key);
      if (record === undefined) {
        const row = storedUsage.get(id)!;
        if (sameTokenUsage(row.token_usage, usage.token_usage) && sameTokenUsage(row.token_usage_with_nested, usage.token_usage_with_nested)) continue;
        changed.set(key, { tenant, id, usage });
      } else if (!(sameTokenUsage(record.token_usage, usage.token_usage) && sameTokenUsage(record.token_usage_with_nested, usage.token_usage_with_nested))) {
        transaction.records.set(key, { ...record, token_usage: usage.token_usage, token_usage_with_nested: usage.token_usage_with_nested });
      }
    }
  }
  if (changed.size === 0) return;
  const stored = await client.query<{ tenant_id: string; id: string; record: string }>(
    `SELECT d.tenant_id, d.id, d.record FROM unnest($1::text[], $2::text[]) AS w(tenant_id, id)
     JOIN decisions d ON d.tenant_id = w.tenant_id AND d.id = w.id`,
    [[...changed.values()].map((c) => c.tenant), [...changed.values()].map((c) => c.id)],
  );
  for (const row of stored.rows) {
    const key = recordKey(row.tenant_id, row.id);
    const record = parseStoredRecord(row.record);
    const { usage } = changed.get(key)!;
    transaction.priors.set(key, record);
    transaction.records.set(key, { ...record, token_usage: usage.token_usage, token_usage_with_nested: usage.token_usage_with_nested });
  }
}

/** Makes causal_links equal to the links of the transaction's records that changed them. */
export async function syncCausalLinks(client: pg.PoolClient, transaction: TransactionRecords): Promise<void> {
  const cleared: [string[], string[]] = [[], []];
  const links: [string[], string[], string[], string[]] = [[], [], [], []];
  for (const [key, record] of transaction.records) {
    const before = transaction.priors.get(key)?.causal_links ?? [];
    const after = record.causal_links;
    if (after === before || (after.length === 0 && before.length === 0)) continue;
    if (after.length === before.length && after.every((l, i) => l.type === before[i]!.type && l.target_decision_id === before[i]!.target_decision_id)) continue;
    cleared[0].push(record.tenant);
    cleared[1].push(record.id);
    for (const link of after) {
      links[0].push(record.tenant);
      links[1].push(record.id);
      links[2].push(link.type);
      links[3].push(link.target_decision_id);
    }
  }
  if (cleared[0].length === 0) return;
  await client.query(
    `DELETE FROM causal_links l USING unnest($1::text[], $2::text[]) AS c(tenant_id, source_id)
     WHERE l.tenant_id = c.tenant_id AND l.source_id = c.source_id`,
    cleared,
  );
  if (links[0].length === 0) return;
  await client.query(
    `INSERT INTO causal_links (tenant_id, source_id, type, target_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
    links,
  );
}

/**
 * The spans and decisions of trace $1 (lowercase), with `byTenant` those of tenant $2 only. The
 * decisions are found by trace id first (decisions_by_trace), then by tenant, as in
 * TRACE_DECISIONS_SQL: for a tenant without statistics the planner would walk all of its
 * decisions through a (tenant_id, …) index instead. context_spans needs no such care: its key
 * holds both.
 */
export function readTraceSql(byTenant: boolean): string {
  const tenantFilter = byTenant ? 'AND tenant_id = $2' : '';
  return `WITH trace_decisions AS MATERIALIZED (SELECT tenant_id, sort_time, id, record FROM decisions WHERE trace_id = $1)
     SELECT 0 AS part, tenant_id, NULL::bigint AS sort_time, NULL AS id, span AS json FROM context_spans WHERE trace_id = $1 ${tenantFilter}
     UNION ALL
     SELECT 1, tenant_id, sort_time, id, record FROM trace_decisions WHERE true ${tenantFilter}
     ORDER BY tenant_id, part, sort_time, id`;
}

/** Spans and decisions of one trace per tenant, read in one statement (one snapshot). */
export async function readTrace(pool: pg.Pool, traceId: string, tenant: string | undefined): Promise<TraceDetail[]> {
  const id = traceId.toLowerCase();
  const { rows } = await pool.query<{ part: number; tenant_id: string; json: string }>(
    readTraceSql(tenant !== undefined),
    tenant === undefined ? [id] : [id, tenant],
  );
  const details: TraceDetail[] = [];
  for (const row of rows) {
    let detail = details.at(-1);
    if (detail === undefined || detail.tenant !== row.tenant_id) {
      detail = { tenant: row.tenant_id, trace_id: id, spans: [], decisions: [] };
      details.push(detail);
    }
    if (row.part === 0) detail.spans.push(parseStoredJson<ContextSpan>(row.json));
    else detail.decisions.push(parseStoredRecord(row.json));
  }
  for (const detail of details) detail.spans.sort(compareContextSpans);
  return details;
}

/** One step of the decision graph inside one tenant (see DecisionStore.neighborDecisions). */
export async function readNeighbors(pool: pg.Pool, tenant: string, ids: readonly string[], limit: number | undefined): Promise<DecisionRecord[]> {
  if (ids.length === 0) return [];
  const max = neighborLimit(limit);
  const { rows } = await pool.query<{ record: string }>(
    `WITH frontier AS (SELECT DISTINCT unnest($1::text[]) AS id),
     related AS (
       SELECT d.parent_decision_id AS id FROM frontier f JOIN decisions d ON d.tenant_id = $2 AND d.id = f.id
       UNION SELECT c.id FROM frontier f JOIN decisions c ON c.tenant_id = $2 AND c.parent_decision_id = f.id
       UNION SELECT l.target_id FROM frontier f JOIN causal_links l ON l.tenant_id = $2 AND l.source_id = f.id
       UNION SELECT l.source_id FROM frontier f JOIN causal_links l ON l.tenant_id = $2 AND l.target_id = f.id
     )
     SELECT d.record FROM related r JOIN decisions d ON d.tenant_id = $2 AND d.id = r.id LIMIT $3`,
    [[...ids], tenant, max],
  );
  return rows.map((row) => parseStoredRecord(row.record));
}
