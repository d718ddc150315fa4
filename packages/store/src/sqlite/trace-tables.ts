import type { SqliteDatabase } from './sqlite-driver.js';
import { rollUpTokenUsage, sameTokenUsage, type DecisionAnchor, type DecisionRecord, type RollupSpan, type TokenUsage } from '@decision-trace/model';
import { compareContextSpans } from '../context-span-order.js';
import { packedSpansAt, packRollupSpans, parseSpanTuples, tupleRollupSpan, tupleToContextSpan, type ContextSpanPack } from '../context-span-pack.js';
import { neighborLimit } from '../neighbor-limit.js';
import type { AppendResult, TraceDetail } from '../store.js';
import { parseStoredRecord } from '../stored-json.js';

/**
 * The SQLite tables beside the ledger and the records that serve the trace view and the
 * decision graph: context spans (packed per trace and append call, see context-span-pack.ts,
 * with the token roll-up they feed) and an index of causal links by target. The writes run
 * inside the caller's append transaction.
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

/** A trace's stored context spans as far as this transaction needs them. */
interface TraceSpans {
  ids: Set<string>;
  /** Spans of this transaction's packs have a kind and counts only when they are LLM calls with counts (packRollupSpans). */
  rollup: RollupSpan[];
  /** LLM spans with token counts among them: without any, no decision of the trace has usage. */
  calls: number;
  /**
   * The trace had decisions stored before this transaction (decisions get their members after
   * the roll-up, in the ledger writer): without any, the roll-up reads none.
   */
  storedDecisions: boolean;
}

/**
 * The context-span state of one append transaction: traces whose spans were read (by
 * `tenant\0traceId`), and the traces that got a new span, whose roll-up is computed once at
 * the end.
 */
export class ContextSpanTransaction {
  readonly traces = new Map<string, TraceSpans>();
  readonly touched = new Map<string, TraceKey>();
}

function prepare(db: SqliteDatabase) {
  return {
    insertPack: db.prepare<[string, string, string]>('INSERT INTO context_span_packs (tenant_id, trace_id, spans) VALUES (?, ?, ?)'),
    anyPack: db.prepare<[], number>('SELECT 1 FROM context_span_packs LIMIT 1').pluck(),
    // A trace's packs and decisions are found through trace_members (migration 14): its pack ids
    // are the integer members, which sort before the text ones, its decision ids. One row per
    // member: a pack's spans, or null for a decision (a pack's spans are never null), so the
    // append learns from the same seek whether the trace has stored decisions.
    traceMembers: db
      .prepare<[string, string], string | null>(
        `SELECT p.spans FROM trace_members m LEFT JOIN context_span_packs p ON m.member < '' AND p.pack_id = m.member
         WHERE m.trace_id = ? AND m.tenant_id = ?`,
      )
      .pluck(),
    traceDecisions: db.prepare<[string, string], TraceDecisionRow>(
      `SELECT d.id, json_extract(d.record, '$.span_id') AS span_id, json_extract(d.record, '$.token_usage') AS token_usage,
         json_extract(d.record, '$.token_usage_with_nested') AS token_usage_with_nested
       FROM trace_members m CROSS JOIN decisions d ON d.tenant_id = m.tenant_id AND d.id = m.member
       WHERE m.trace_id = ? AND m.tenant_id = ? AND m.member >= ''`,
    ),
    selectRecord: db.prepare<[string, string], string>('SELECT record FROM decisions WHERE tenant_id = ? AND id = ?').pluck(),
    deleteLinks: db.prepare<[string, string]>('DELETE FROM causal_links WHERE tenant_id = ? AND source_id = ?'),
    insertLink: db.prepare<[string, string, string, string]>('INSERT OR IGNORE INTO causal_links (tenant_id, source_id, type, target_id) VALUES (?, ?, ?, ?)'),
    traceSpans: db.prepare<[string], TenantJsonRow>(
      `SELECT m.tenant_id, p.spans AS json FROM trace_members m CROSS JOIN context_span_packs p ON p.pack_id = m.member
       WHERE m.trace_id = ? AND m.member < ''`,
    ),
    tenantTraceSpans: db.prepare<[string, string], TenantJsonRow>(
      `SELECT m.tenant_id, p.spans AS json FROM trace_members m CROSS JOIN context_span_packs p ON p.pack_id = m.member
       WHERE m.trace_id = ? AND m.tenant_id = ? AND m.member < ''`,
    ),
    traceRecords: db.prepare<[string], TenantJsonRow>(
      `SELECT d.tenant_id, d.record AS json FROM trace_members m CROSS JOIN decisions d ON d.tenant_id = m.tenant_id AND d.id = m.member
       WHERE m.trace_id = ? AND m.member >= '' ORDER BY d.tenant_id, d.sort_time, d.id`,
    ),
    tenantTraceRecords: db.prepare<[string, string], TenantJsonRow>(
      `SELECT d.tenant_id, d.record AS json FROM trace_members m CROSS JOIN decisions d ON d.tenant_id = m.tenant_id AND d.id = m.member
       WHERE m.trace_id = ? AND m.tenant_id = ? AND m.member >= '' ORDER BY d.sort_time, d.id`,
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
  /** context_span_packs held a row when last asked (#packsStored); once it has, it is not asked again. */
  #packsSeen = false;

  constructor(db: SqliteDatabase) {
    this.#statements = prepare(db);
  }

  /**
   * Stores the packs' spans not stored yet (one row per pack); a span already stored (same
   * tenant, trace and span id), or twice in the call, is a duplicate. Reads what the packs
   * carry beside their JSON: parsing it is left to the rare pack that holds a duplicate.
   */
  insertPacks(packs: readonly ContextSpanPack[], state: ContextSpanTransaction): AppendResult {
    let appended = 0;
    let given = 0;
    for (const pack of packs) {
      given += pack.count;
      const key = recordKey(pack.tenant, pack.trace_id);
      const trace = this.#traceSpans(state, key, pack.tenant, pack.trace_id);
      const spans = packRollupSpans(pack);
      // Indexes of the spans to store, once the pack turned out to hold a duplicate.
      let fresh: number[] | null = null;
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i]!;
        if (trace.ids.has(span.span_id)) {
          fresh ??= Array.from({ length: i }, (_, earlier) => earlier);
          continue;
        }
        trace.ids.add(span.span_id);
        trace.rollup.push(span);
        if (isCall(span)) trace.calls += 1;
        fresh?.push(i);
      }
      const stored = fresh === null ? spans.length : fresh.length;
      if (stored === 0) continue;
      this.#statements.insertPack.run(pack.tenant, pack.trace_id, fresh === null ? pack.spans : packedSpansAt(pack.spans, fresh));
      appended += stored;
      state.touched.set(key, { tenant: pack.tenant, traceId: pack.trace_id });
    }
    return { appended, duplicates: given - appended };
  }

  /** The trace's spans stored before (read once per transaction) and since. */
  #traceSpans(state: ContextSpanTransaction, key: string, tenant: string, traceId: string): TraceSpans {
    let trace = state.traces.get(key);
    if (trace !== undefined) return trace;
    trace = { ids: new Set(), rollup: [], calls: 0, storedDecisions: false };
    for (const json of this.#statements.traceMembers.all(traceId, tenant)) {
      if (json === null) {
        trace.storedDecisions = true;
        continue;
      }
      for (const tuple of parseSpanTuples(json)) {
        const rollup = tupleRollupSpan(tuple);
        trace.ids.add(rollup.span_id);
        trace.rollup.push(rollup);
        if (isCall(rollup)) trace.calls += 1;
      }
    }
    state.traces.set(key, trace);
    return trace;
  }

  /**
   * At the end of an append transaction: traces that got a new span, and traces in which a
   * decision got its span (a new decision, or one whose span became known: it may take LLM
   * calls from an ancestor's `token_usage`), are rolled up again.
   */
  refreshAfterAppend(transaction: TransactionRecords, spans: ContextSpanTransaction): void {
    // With no context span stored at all (a decisions-only store), no trace has an LLM call:
    // the records' traces are not read, one seek per decision saved.
    if (spans.touched.size === 0 && !this.#packsStored()) return;
    const traces = new Map(spans.touched);
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
      const trace = this.#traceSpans(spans, traceKey, tenant, traceId);
      // No call in the trace: no decision of it has usage, nothing to compute or rewrite.
      if (trace.calls === 0) continue;
      this.#refreshTokenUsage(tenant, traceId, trace, recordsOfTrace.get(traceKey) ?? [], transaction);
    }
  }

  /**
   * Whether any context span is stored, asked inside the append transaction until the answer is
   * yes: another process on the same file may store the first one. Packs deleted later (by
   * retention) leave the answer yes, which only costs the reads this saves.
   */
  #packsStored(): boolean {
    if (!this.#packsSeen) this.#packsSeen = this.#statements.anyPack.get() !== undefined;
    return this.#packsSeen;
  }

  /**
   * Rolls the trace's spans up onto its decisions (stored ones, read only when the trace has
   * any, and `ownRecords`, the transaction's records of the trace); records whose usage changes
   * are put into the transaction's records.
   */
  #refreshTokenUsage(tenant: string, traceId: string, trace: TraceSpans, ownRecords: readonly DecisionRecord[], transaction: TransactionRecords): void {
    const anchors: DecisionAnchor[] = [];
    const storedUsage = new Map<string, TraceDecisionRow>();
    if (trace.storedDecisions) {
      for (const row of this.#statements.traceDecisions.all(traceId, tenant)) {
        storedUsage.set(row.id, row);
        if (!transaction.records.has(recordKey(tenant, row.id))) anchors.push({ id: row.id, span_id: row.span_id });
      }
    }
    for (const record of ownRecords) anchors.push(record);

    for (const [id, usage] of rollUpTokenUsage(trace.rollup, anchors)) {
      const key = recordKey(tenant, id);
      let record = transaction.records.get(key);
      if (record === undefined) {
        const row = storedUsage.get(id)!;
        if (
          sameTokenUsage(parseUsage(row.token_usage), usage.token_usage) &&
          sameTokenUsage(parseUsage(row.token_usage_with_nested), usage.token_usage_with_nested)
        ) {
          continue;
        }
        record = parseStoredRecord(this.#statements.selectRecord.get(tenant, id)!);
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
    for (const row of spanRows) {
      const spans = detail(row.tenant_id).spans;
      for (const tuple of parseSpanTuples(row.json)) spans.push(tupleToContextSpan(row.tenant_id, id, tuple));
    }
    for (const row of recordRows) detail(row.tenant_id).decisions.push(parseStoredRecord(row.json));
    const details = [...byTenant.values()].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
    for (const found of details) found.spans.sort(compareContextSpans);
    return details;
  }

  neighbors(tenant: string, ids: readonly string[], limit: number | undefined): DecisionRecord[] {
    if (ids.length === 0) return [];
    return this.#statements.neighbors
      .all(JSON.stringify(ids), tenant, tenant, tenant, tenant, tenant, neighborLimit(limit))
      .map((json) => parseStoredRecord(json));
  }
}

function isCall(span: RollupSpan): boolean {
  return span.kind === 'LLM' && span.token_usage !== null;
}

function parseUsage(json: string | null): TokenUsage | null {
  return json === null ? null : (JSON.parse(json) as TokenUsage);
}
