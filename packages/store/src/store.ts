import type { ContextSpan, DecisionEvent, DecisionRecord, ReadonlyDecisionEvent, SelectedContextSpans } from '@decision-trace/model';
import type { AlertPage, AlertQuery, DecisionAlert } from './alert.js';

/**
 * The storage contract every backend (SQLite, PostgreSQL) implements and the shared test suite
 * checks. Nothing here is specific to one database.
 */

/**
 * Filters combine with AND; an absent or empty-string filter does not filter.
 * Ordering time: start_time, or updated_at when a record has no start_time.
 */
export interface DecisionFilter {
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
  /** record.actor.id */
  actor_id?: string;
  /** record.actor.type */
  actor_type?: string;
  /** record.service_name */
  service?: string;
  /** record.status (`pending`, `decided`, …). */
  status?: string;
  /** Inclusive, 0..1; records without confidence never match a confidence bound. */
  min_confidence?: number;
  /** Inclusive, 0..1. */
  max_confidence?: number;
  /** true: record.violations is non-empty; false: it is empty. */
  has_violations?: boolean;
  /** Every entry must hold: see EvidenceMatch. */
  evidence?: EvidenceMatch[];
}

/**
 * The record's evidence[key] equals `value`: a string evidence value compares as is, a number
 * or boolean by its JSON text (`120`, `true`). Objects, arrays and null never match.
 */
export interface EvidenceMatch {
  key: string;
  value: string;
}

/** Order: newest first by ordering time desc, then id desc, then tenant desc. */
export interface DecisionQuery extends DecisionFilter {
  /** Default 50; values above 1000 are lowered to 1000. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/**
 * Defaults: until = now, since = until - 24 h, bucket_ms = 1 h; at most 1000 buckets in the
 * window (else InvalidQueryError).
 */
export interface StatsQuery extends DecisionFilter {
  bucket_ms?: number;
}

export interface WeightedCount {
  count: number;
  /** Sum of record.adjusted_count, a record without one counting 1. */
  weighted_count: number;
}

export interface StatsSeriesPoint extends WeightedCount {
  /** RFC 3339; buckets are aligned to `since`. */
  bucket_start: string;
  type: string | null;
  version: string | null;
  outcome: string | null;
  /** weighted_count / the weighted total of the same (bucket_start, type, version). */
  rate: number;
}

export interface StatsOutcome extends WeightedCount {
  type: string | null;
  version: string | null;
  outcome: string | null;
  /** weighted_count / the weighted total of the same (type, version) over the window. */
  rate: number;
}

export interface ConfidenceBin {
  lower: number;
  upper: number;
  count: number;
}

export interface DurationPercentiles {
  /** Records with a duration (start_time and end_time both known). */
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface TokenUsageTotals {
  /** Records with token usage. */
  decisions: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface DecisionStats {
  since: string;
  until: string;
  bucket_ms: number;
  total: WeightedCount;
  /** Ordered by bucket_start, type, version, outcome (nulls first). */
  series: StatsSeriesPoint[];
  /** Ordered by type, version, outcome (nulls first). */
  by_outcome: StatsOutcome[];
  /** 10 bins [0,0.1) … [0.9,1.0]; records without confidence are not counted. */
  confidence_histogram: ConfidenceBin[];
  duration_ms: DurationPercentiles;
  token_usage: TokenUsageTotals;
}

export interface OutcomeCount extends WeightedCount {
  outcome: string | null;
}

/** One authorised read of the decision API. */
export interface AuditEntry {
  /** RFC 3339. */
  at: string;
  key_name: string;
  role: string;
  /** The key's tenant; null for an admin key. */
  tenant: string | null;
  method: string;
  path: string;
  /** The filter as asked. */
  query: Record<string, string>;
  /** HTTP status of the reply. */
  status: number;
}

export interface AuditQuery {
  /** Entries of keys of this tenant. */
  tenant?: string;
  /** RFC 3339, inclusive. */
  since?: string;
  /** Default 50, capped at 1000. */
  limit?: number;
  cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  next_cursor: string | null;
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
  /**
   * What is broken; absent for a ledger row. `record`: a decision record disagrees with the fold
   * of its ledger events; `audit`: the audit log's chain (then `seq` is the audit entry's place
   * in it and `tenant_id` the entry's tenant, '' for none); `witness`: a chain head the witness
   * file saw is gone or different.
   */
  kind?: 'record' | 'audit' | 'witness';
  /** The decision whose record is broken (kind `record`). */
  decision_id?: string;
}

export interface VerifyOptions {
  /** Only this tenant's chain and records (the audit log is not checked then). */
  tenant?: string;
  /**
   * A witness file (see WitnessOptions) whose chain heads must still be in the store. Without
   * it, the witness attached to this store handle (attachWitness) is used, if any.
   */
  witness?: string;
}

/**
 * Chain heads (each tenant's last ledger seq and hash, and the audit log's) appended as JSON
 * lines to a file outside the database, so that deleting a whole chain, its newest rows or
 * audit entries is caught by verification against that file. Heads are written every
 * `interval_ms` when they changed and at close, never per append: appends of the last interval
 * before a crash are covered by the hash chains only.
 */
export interface WitnessOptions {
  path: string;
  /** Default 1000. */
  interval_ms?: number;
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

export interface VerifyLedgerOptions extends VerifyOptions {
  onProgress?: (checked: number) => void;
}

/*
 * Role interfaces: each consumer depends on the roles it uses (the API on readers, stats, the
 * audit log and verification; the exporter on the ledger writer, verifier and maintenance; the
 * SDK's sink on `append` alone), and DecisionStore, which every backend implements, is all of them.
 */

/**
 * Writes decision events to the ledger (and context spans beside it): what the decisions
 * exporter, `decision-trace ingest`, the decision API's POST and the SDK's store sink use.
 */
export interface LedgerWriter {
  /** One transaction per call: all events are stored, or none. */
  append(events: readonly ReadonlyDecisionEvent[]): Promise<AppendResult>;
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
   *
   * The spans come as ContextSpans, or as the decoded spans chosen (SelectedContextSpans), which
   * a store may pack without building ContextSpans first; both store the same.
   */
  appendContextSpans(spans: ContextSpan[] | SelectedContextSpans): Promise<AppendResult>;
}

/** Reads decisions, their ledger events, traces and the decision graph. */
export interface DecisionReader {
  /** One detail per tenant holding that id (ordered by tenant); [] if none. */
  getDecision(id: string, opts?: { tenant?: string }): Promise<DecisionDetail[]>;
  /** Throws InvalidQueryError for a malformed cursor, instant or limit. */
  queryDecisions(q: DecisionQuery): Promise<QueryPage>;
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
}

/** Aggregates over filtered decisions. */
export interface StatsReader {
  /** Throws InvalidQueryError for malformed filters or too many buckets. */
  stats(query: StatsQuery): Promise<DecisionStats>;
  /** Decisions per outcome (ordered by outcome, null first) of the filtered records. */
  outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]>;
}

/** The hash-chained audit log of the decision API's authorised reads. */
export interface AuditLogStore {
  /** One transaction per call; entries are hash-chained in the order stored (audit-chain.ts). */
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** Newest first; throws InvalidQueryError for a malformed cursor, instant or limit. */
  queryAudit(query: AuditQuery): Promise<AuditPage>;
}

/** Proves the store's integrity: verification of every chain and record, and the witness file. */
export interface LedgerVerifier {
  /**
   * Every tenant's chain, or only `tenant`'s; then each decision record against the fold of its
   * ledger events (record-verifier.ts); then the audit log's chain (not for one tenant); then the
   * chain heads of the witness file, if any. `checked` counts ledger rows. `onProgress` is told
   * the ledger rows checked so far every few thousand rows (a long verification's progress); a
   * worker-thread store does not call it.
   */
  verifyLedger(opts?: VerifyLedgerOptions): Promise<LedgerVerification>;
  /**
   * Starts writing this handle's chain heads to a witness file: first every head the store
   * holds, then those that changed, every interval and at close. Once per handle.
   */
  attachWitness(options: WitnessOptions): Promise<void>;
}

/** Deletes what retention policies let go. */
export interface StoreMaintenance {
  /**
   * Deletes expired decisions (records and event content) and shortens their tenants' chains
   * behind a checkpoint, so that verifyLedger still passes. Throws RangeError for invalid
   * policies. Safe while appends go on.
   */
  applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult>;
}

/** Anomaly alerts of the decision_anomaly connector. */
export interface AlertLog {
  /**
   * Stores anomaly alerts (alert.ts) in one transaction; an alert whose (tenant, id) is stored
   * changes nothing and counts as a duplicate. TypeError for a malformed alert.
   */
  appendAlerts(alerts: DecisionAlert[]): Promise<AppendResult>;
  /** Newest first; throws InvalidQueryError for a malformed cursor, instant or limit. */
  queryAlerts(query: AlertQuery): Promise<AlertPage>;
  /** One alert per tenant holding that id (ordered by tenant); [] if none. */
  getAlert(id: string, opts?: { tenant?: string }): Promise<DecisionAlert[]>;
}

/** A store handle that holds connections (or a worker thread) until closed. */
export interface ClosableStore {
  close(): Promise<void>;
}

/** Everything a backend implements: the intersection of the roles above. */
export interface DecisionStore extends LedgerWriter, DecisionReader, StatsReader, AuditLogStore, LedgerVerifier, StoreMaintenance, AlertLog, ClosableStore {}
