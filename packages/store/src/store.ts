import type { ContextSpan, DecisionEvent, DecisionRecord } from '@decision-trace/model';

/**
 * The storage contract every backend (SQLite, PostgreSQL) implements and the shared test suite
 * checks. Nothing here is specific to one database.
 */

/**
 * Filters combine with AND; an absent or empty-string filter does not filter.
 * Order: newest first by (start_time, or updated_at when a record has no start_time) desc,
 * then id desc, then tenant desc.
 */
export interface DecisionQuery {
  tenant?: string;
  /** `refund.approve` matches any version; `refund.approve.v2` means type AND version v2. */
  type?: string;
  version?: string;
  outcome?: string;
  /** The OTel trace id (lowercase hex) the decisions belong to. */
  trace_id?: string;
  /** RFC 3339 instant, inclusive, compared with the ordering time. */
  since?: string;
  /** RFC 3339 instant, exclusive, compared with the ordering time. */
  until?: string;
  /** Default 50; values above 1000 are lowered to 1000. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface QueryPage {
  decisions: DecisionRecord[];
  /** Opaque; null on the last page. */
  next_cursor: string | null;
}

export interface LedgerEntry {
  tenant_id: string;
  /** 1, 2, 3… per tenant, without gaps. */
  seq: number;
  event: DecisionEvent;
  received_at: string;
  prev_hash: string;
  hash: string;
}

export interface AppendResult {
  appended: number;
  /** Events whose (tenant_id, event_id) was already stored; they changed nothing. */
  duplicates: number;
}

export interface DecisionDetail {
  record: DecisionRecord;
  /** The decision's ledger entries in seq order. */
  events: LedgerEntry[];
}

export interface LedgerProblem {
  tenant_id: string;
  seq: number;
  event_id: string;
  /** The backend's physical row id (SQLite rowid); 0 when the problem is a row that is missing. */
  row: number;
  reason: string;
}

export interface LedgerVerification {
  ok: boolean;
  /** Ledger rows examined. */
  checked: number;
  first_broken: LedgerProblem | null;
}

/**
 * Keep decisions of `tenant` and `type` for `ttl_ms`. A rule without `tenant` is for every
 * tenant, without `type` for every type. For one decision the most specific rule counts:
 * tenant and type, then tenant, then type, then the rule with neither. No rule: kept forever.
 */
export interface RetentionPolicy {
  tenant?: string;
  /** A decision type without its version suffix (`refund.approve`); versions share their type's rule. */
  type?: string;
  /** A decision expires when its ordering time (start_time, else updated_at) is older than this. */
  ttl_ms: number;
}

export interface RetentionResult {
  /** Decision records deleted. */
  deleted_decisions: number;
  /** Their ledger events, whose content is gone (see LedgerCheckpoint). */
  deleted_events: number;
  /** Checkpoints written, one per tenant chain whose start was removed in a step. */
  checkpoints: number;
}

/**
 * Where a tenant's chain starts once retention removed its oldest rows: verification resumes
 * from `hash` at `seq` instead of from the genesis hash.
 */
export interface LedgerCheckpoint {
  tenant_id: string;
  /** The last removed seq. */
  seq: number;
  /** The removed row's hash, which the next row's prev_hash must equal. */
  hash: string;
  /** Rows removed by this checkpoint: its seq minus the previous checkpoint's (or 0). */
  removed: number;
  created_at: string;
}

/**
 * What a store holds about one trace for one tenant: its context spans (ordered by start time,
 * then span id) and its decisions (ordered by ordering time, then id).
 */
export interface TraceDetail {
  tenant: string;
  trace_id: string;
  spans: ContextSpan[];
  decisions: DecisionRecord[];
}

export interface NeighborQuery {
  /** Default and maximum 1000: at most this many records are returned. */
  limit?: number;
}

export interface DecisionStore {
  /** One transaction per call: all events are stored, or none. */
  append(events: DecisionEvent[]): Promise<AppendResult>;
  /** One detail per tenant holding that id (ordered by tenant); [] if none. */
  getDecision(id: string, opts?: { tenant?: string }): Promise<DecisionDetail[]>;
  /** Throws InvalidQueryError for a malformed cursor, instant or limit. */
  queryDecisions(q: DecisionQuery): Promise<QueryPage>;
  verifyLedger(): Promise<LedgerVerification>;
  /**
   * Keeps spans of traces that hold decisions (the trace view; token roll-up). A span already
   * stored (same tenant, trace id and span id) changes nothing and counts as a duplicate. One
   * transaction per call.
   *
   * Token roll-up: after this call and after `append`, every decision of a touched trace
   * carries `token_usage` / `token_usage_with_nested` as `rollUpTokenUsage`
   * (@decision-trace/model) computes them from all stored spans of its tenant and trace, in
   * whatever order the spans and decisions arrived; a record whose usage did not change is not
   * rewritten (its `updated_at` never changes for this).
   */
  appendContextSpans(spans: ContextSpan[]): Promise<AppendResult>;
  /**
   * One detail per tenant holding spans or decisions of the trace (ordered by tenant); [] if
   * none. The trace id is matched case-insensitively.
   */
  getTrace(traceId: string, opts?: { tenant?: string }): Promise<TraceDetail[]>;
  /**
   * One step of the decision graph inside one tenant: the decisions that are the parent of one
   * of `ids`, a child of one (their parent_decision_id is in `ids`), the target of a causal link
   * of one, or hold a causal link to one. May include decisions of `ids` themselves; unknown ids
   * are skipped; no particular order, no duplicates.
   */
  neighborDecisions(tenant: string, ids: readonly string[], opts?: NeighborQuery): Promise<DecisionRecord[]>;
  /**
   * Deletes expired decisions (records and event content) and shortens their tenants' chains
   * behind a checkpoint, so that verifyLedger still passes. Throws RangeError for invalid
   * policies. Safe while appends go on.
   */
  applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult>;
  close(): Promise<void>;
}
