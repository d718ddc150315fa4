import type Database from 'better-sqlite3';
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

/**
 * The SQLite tables beside the ledger and the records that serve the trace view and the
 * decision graph: context spans (with the token roll-up they feed) and an index of causal
 * links by target. The writes run inside the caller's append transaction.
 */

/** Records a transaction changes, by `tenant\0id`, and their state before it (undefined: new). */
export interface TransactionRecords {
  records: Map<string, DecisionRecord>;
  priors: Map<string, DecisionRecord | undefined>;
}

/** A trace of one tenant. */
export interface TraceKey {
  tenant: string;
  traceId: string;
}

export function recordKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

interface RollupRow {
  span_id: string;
  parent_span_id: string | null;
  kind: string | null;
  token_usage: string | null;
}

interface TraceDecisionRow {
  id: string;
  span_id: string | null;
  token_usage: string | null;
  token_usage_with_nested: string | null;
}

interface TenantJsonRow {
  tenant_id: string;
  json: string;
}

function prepare(db: Database.Database) {
  return {
    insertSpan: db.prepare<[string, string, string, string | null, string | null, string | null, string]>(
      `INSERT INTO context_spans (tenant_id, trace_id, span_id, parent_span_id, kind, token_usage, span)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trace_id, tenant_id, span_id) DO NOTHING`,
    ),
    rollupSpans: db.prepare<[string, string], RollupRow>(
      'SELECT span_id, parent_span_id, kind, token_usage FROM context_spans WHERE tenant_id = ? AND trace_id = ?',
    ),
    traceDecisions: db.prepare<[string, string], TraceDecisionRow>(
      `SELECT id, json_extract(record, '$.span_id') AS span_id, json_extract(record, '$.token_usage') AS token_usage,
         json_extract(record, '$.token_usage_with_nested') AS token_usage_with_nested
       FROM decisions WHERE trace_id = ? AND +tenant_id = ?`,
    ),
    selectRecord: db.prepare<[string, string], string>('SELECT record FROM decisions WHERE tenant_id = ? AND id = ?').pluck(),
    deleteLinks: db.prepare<[string, string]>('DELETE FROM causal_links WHERE tenant_id = ? AND source_id = ?'),
    insertLink: db.prepare<[string, string, string, string]>(
      'INSERT OR IGNORE INTO causal_links (tenant_id, source_id, type, target_id) VALUES (?, ?, ?, ?)',
    ),
    traceSpans: db.prepare<[string], TenantJsonRow>('SELECT tenant_id, span AS json FROM context_spans WHERE trace_id = ?'),
    tenantTraceSpans: db.prepare<[string, string], TenantJsonRow>(
      'SELECT tenant_id, span AS json FROM context_spans WHERE trace_id = ? AND tenant_id = ?',
    ),
    traceRecords: db.prepare<[string], TenantJsonRow>(
      'SELECT tenant_id, record AS json FROM decisions WHERE trace_id = ? ORDER BY tenant_id, sort_time, id',
    ),
    tenantTraceRecords: db.prepare<[string, string], TenantJsonRow>(
      'SELECT tenant_id, record AS json FROM decisions WHERE trace_id = ? AND +tenant_id = ? ORDER BY sort_time, id',
    ),
    // The frontier travels as one JSON array; CROSS JOIN makes SQLite drive every lookup from
    // it (without statistics it would rather scan the tenant's decisions).
    neighbors: db
      .prepare<[string, string, string, string, string, string, number], string>(
        `WITH frontier(id) AS (SELECT value FROM json_each(?)),
         related(id) AS (
           SELECT d.parent_decision_id FROM frontier f CROSS JOIN decisions d ON d.tenant_id = ? AND d.id = f.id
           UNION SELECT c.id FROM frontier f CROSS JOIN decisions c ON c.tenant_id = ? AND c.parent_decision_id = f.id
           UNION SELECT l.target_id FROM frontier f CROSS JOIN causal_links l ON l.tenant_id = ? AND l.source_id = f.id
           UNION SELECT l.source_id FROM frontier f CROSS JOIN causal_links l ON l.tenant_id = ? AND l.target_id = f.id
         )
         SELECT d.record FROM related r CROSS JOIN decisions d ON d.tenant_id = ? AND d.id = r.id LIMIT ?`,
      )
      .pluck(),
  };
}

export class SqliteTraceTables {
  readonly #statements: ReturnType<typeof prepare>;

  constructor(db: Database.Database) {
    this.#statements = prepare(db);
  }

  /** Stores the spans; adds the traces that got a new span to `touched`. */
  insertSpans(spans: readonly ContextSpan[], touched: Map<string, TraceKey>): AppendResult {
    let appended = 0;
    for (const span of spans) {
      const traceId = span.trace_id.toLowerCase();
      const { changes } = this.#statements.insertSpan.run(
        span.tenant,
        traceId,
        span.span_id,
        span.parent_span_id,
        span.kind,
        span.token_usage === null ? null : JSON.stringify(span.token_usage),
        JSON.stringify(traceId === span.trace_id ? span : { ...span, trace_id: traceId }),
      );
      if (changes === 0) continue;
      appended += 1;
      touched.set(recordKey(span.tenant, traceId), { tenant: span.tenant, traceId });
    }
    return { appended, duplicates: spans.length - appended };
  }

  /**
   * At the end of an append transaction: traces that got a new span, and traces in which a
   * decision got its span (a new decision, or one whose span became known: it may take LLM
   * calls from an ancestor's `token_usage`), are rolled up again.
   */
  refreshAfterAppend(transaction: TransactionRecords, touchedTraces: ReadonlyMap<string, TraceKey>): void {
    const traces = new Map(touchedTraces);
    // The transaction's records by trace, so each trace finds its own without a scan.
    const recordsOfTrace = new Map<string, DecisionRecord[]>();
    for (const [key, record] of transaction.records) {
      if (record.trace_id === null) continue;
      const traceId = record.trace_id.toLowerCase();
      const traceKey = recordKey(record.tenant, traceId);
      const sameTrace = recordsOfTrace.get(traceKey);
      if (sameTrace === undefined) recordsOfTrace.set(traceKey, [record]);
      else sameTrace.push(record);
      if (record.span_id === null) continue;
      const prior = transaction.priors.get(key);
      if (prior !== undefined && prior.span_id === record.span_id && prior.trace_id === record.trace_id) continue;
      traces.set(traceKey, { tenant: record.tenant, traceId });
    }
    for (const [traceKey, { tenant, traceId }] of traces) {
      this.#refreshTokenUsage(tenant, traceId, recordsOfTrace.get(traceKey) ?? [], transaction);
    }
  }

  /**
   * Rolls the trace's stored spans up onto its decisions (stored ones and `ownRecords`, the
   * transaction's records of the trace); records whose usage changes are put into the
   * transaction's records.
   */
  #refreshTokenUsage(tenant: string, traceId: string, ownRecords: readonly DecisionRecord[], transaction: TransactionRecords): void {
    const rows = this.#statements.rollupSpans.all(tenant, traceId);
    // No call in the trace: no decision of it has usage, nothing to compute or rewrite.
    if (!rows.some((row) => row.kind === 'LLM' && row.token_usage !== null)) return;
    const spans: RollupSpan[] = rows.map((row) => ({
      span_id: row.span_id,
      parent_span_id: row.parent_span_id,
      kind: row.kind as RollupSpan['kind'],
      token_usage: row.token_usage === null ? null : (JSON.parse(row.token_usage) as TokenCounts),
    }));

    const anchors: DecisionAnchor[] = [];
    const storedUsage = new Map<string, TraceDecisionRow>();
    for (const row of this.#statements.traceDecisions.all(traceId, tenant)) {
      storedUsage.set(row.id, row);
      if (!transaction.records.has(recordKey(tenant, row.id))) anchors.push({ id: row.id, span_id: row.span_id });
    }
    for (const record of ownRecords) anchors.push(record);

    for (const [id, usage] of rollUpTokenUsage(spans, anchors)) {
      const key = recordKey(tenant, id);
      let record = transaction.records.get(key);
      if (record === undefined) {
        const row = storedUsage.get(id)!;
        if (sameTokenUsage(parseUsage(row.token_usage), usage.token_usage) && sameTokenUsage(parseUsage(row.token_usage_with_nested), usage.token_usage_with_nested)) {
          continue;
        }
        record = JSON.parse(this.#statements.selectRecord.get(tenant, id)!) as DecisionRecord;
        transaction.priors.set(key, record);
      } else if (sameTokenUsage(record.token_usage, usage.token_usage) && sameTokenUsage(record.token_usage_with_nested, usage.token_usage_with_nested)) {
        continue;
      }
      transaction.records.set(key, { ...record, token_usage: usage.token_usage, token_usage_with_nested: usage.token_usage_with_nested });
    }
  }

  /** Keeps causal_links equal to the record's links; a no-op when they did not change. */
  syncCausalLinks(record: DecisionRecord, prior: DecisionRecord | undefined): void {
    const links = record.causal_links;
    const before = prior?.causal_links ?? [];
    if (links === before || (links.length === 0 && before.length === 0)) return;
    if (links.length === before.length && links.every((l, i) => l.type === before[i]!.type && l.target_decision_id === before[i]!.target_decision_id)) return;
    this.#statements.deleteLinks.run(record.tenant, record.id);
    for (const link of links) this.#statements.insertLink.run(record.tenant, record.id, link.type, link.target_decision_id);
  }

  trace(traceId: string, tenant: string | undefined): TraceDetail[] {
    const id = traceId.toLowerCase();
    const spanRows = tenant === undefined ? this.#statements.traceSpans.all(id) : this.#statements.tenantTraceSpans.all(id, tenant);
    const recordRows = tenant === undefined ? this.#statements.traceRecords.all(id) : this.#statements.tenantTraceRecords.all(id, tenant);
    const byTenant = new Map<string, TraceDetail>();
    const detail = (tenantId: string): TraceDetail => {
      let found = byTenant.get(tenantId);
      if (found === undefined) byTenant.set(tenantId, (found = { tenant: tenantId, trace_id: id, spans: [], decisions: [] }));
      return found;
    };
    for (const row of spanRows) detail(row.tenant_id).spans.push(JSON.parse(row.json) as ContextSpan);
    for (const row of recordRows) detail(row.tenant_id).decisions.push(JSON.parse(row.json) as DecisionRecord);
    const details = [...byTenant.values()].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
    for (const found of details) found.spans.sort(compareContextSpans);
    return details;
  }

  neighbors(tenant: string, ids: readonly string[], limit: number | undefined): DecisionRecord[] {
    if (ids.length === 0) return [];
    return this.#statements.neighbors
      .all(JSON.stringify(ids), tenant, tenant, tenant, tenant, tenant, neighborLimit(limit))
      .map((json) => JSON.parse(json) as DecisionRecord);
  }
}

function parseUsage(json: string | null): TokenUsage | null {
  return json === null ? null : (JSON.parse(json) as TokenUsage);
}
