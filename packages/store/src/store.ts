import type { DecisionEvent, DecisionRecord } from '@decision-trace/model';

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

export interface DecisionStore {
  /** One transaction per call: all events are stored, or none. */
  append(events: DecisionEvent[]): Promise<AppendResult>;
  /** One detail per tenant holding that id (ordered by tenant); [] if none. */
  getDecision(id: string, opts?: { tenant?: string }): Promise<DecisionDetail[]>;
  /** Throws InvalidQueryError for a malformed cursor, instant or limit. */
  queryDecisions(q: DecisionQuery): Promise<QueryPage>;
  verifyLedger(): Promise<LedgerVerification>;
  close(): Promise<void>;
}
