import type { DecisionRecord } from '@decision-trace/model';
import type { AppendMessage } from './append-message.js';
import type { NeighborQuery, TraceDetail } from '../store.js';
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
  LedgerVerification,
  QueryPage,
  RetentionPolicy,
  RetentionResult,
  VerifyOptions,
  WitnessOptions,
} from '../store.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import type { RemoteError } from './remote-error.js';

/**
 * Messages between WorkerDecisionStore (main thread) and the store worker. Every request
 * carries an id its reply repeats; the worker answers requests in any order.
 */

export interface StoreWorkerData {
  /** The SQLite file the worker opens. */
  path: string;
}

export type StoreRequest =
  /** The append and appendContextSpans calls of one event-loop turn, committed as one group. */
  | { id: number; op: 'append'; calls: AppendMessage[] }
  | { id: number; op: 'getDecision'; decisionId: string; opts: { tenant?: string } }
  | { id: number; op: 'queryDecisions'; query: DecisionQuery }
  | { id: number; op: 'verifyLedger'; opts: VerifyOptions }
  | { id: number; op: 'attachWitness'; options: WitnessOptions }
  | { id: number; op: 'stats'; query: StatsQuery }
  | { id: number; op: 'outcomeCounts'; filter: DecisionFilter }
  | { id: number; op: 'appendAudit'; entries: AuditEntry[] }
  | { id: number; op: 'queryAudit'; query: AuditQuery }
  | { id: number; op: 'getTrace'; traceId: string; opts: { tenant?: string } }
  | { id: number; op: 'neighborDecisions'; tenant: string; ids: string[]; opts: NeighborQuery }
  | { id: number; op: 'applyRetention'; policies: RetentionPolicy[]; now: Date }
  | { id: number; op: 'appendAlerts'; alerts: DecisionAlert[] }
  | { id: number; op: 'queryAlerts'; query: AlertQuery }
  | { id: number; op: 'getAlert'; alertId: string; opts: { tenant?: string } }
  /** Waits for the requests already received, then closes the database. */
  | { id: number; op: 'close' };

/** One per append call of the request, in the same order. */
export type AppendOutcome = { result: AppendResult; error?: undefined } | { result?: undefined; error: RemoteError };

export interface AppendReply {
  outcomes: AppendOutcome[];
  /** The worker store's transaction count after this group. */
  commits: number;
}

export interface StoreReplyValues {
  append: AppendReply;
  getDecision: DecisionDetail[];
  queryDecisions: QueryPage;
  verifyLedger: LedgerVerification;
  attachWitness: null;
  stats: DecisionStats;
  outcomeCounts: OutcomeCount[];
  appendAudit: null;
  queryAudit: AuditPage;
  getTrace: TraceDetail[];
  neighborDecisions: DecisionRecord[];
  applyRetention: RetentionResult;
  appendAlerts: AppendResult;
  queryAlerts: AlertPage;
  getAlert: DecisionAlert[];
  close: null;
}

export type StoreReply =
  | { kind: 'ready' }
  | { kind: 'open-failed'; error: RemoteError }
  /**
   * `value` is the answer as v8.serialize wrote it: read on the receiving side with
   * v8.deserialize, a value that cannot be read back (e.g. nested so deep that reading it
   * overflows the stack) fails this request alone. Carried as plain message data, it would fail
   * in the port as a 'messageerror' that names no request, and the request would never settle.
   */
  | { kind: 'done'; id: number; value: Uint8Array }
  | { kind: 'failed'; id: number; error: RemoteError };
