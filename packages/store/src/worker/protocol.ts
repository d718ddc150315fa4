import type { DecisionEvent } from '@decision-trace/model';
import type { AppendResult, DecisionDetail, DecisionQuery, LedgerVerification, QueryPage } from '../store.js';
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
  /** The append calls of one event-loop turn on the main thread, committed as one group. */
  | { id: number; op: 'append'; calls: DecisionEvent[][] }
  | { id: number; op: 'getDecision'; decisionId: string; opts: { tenant?: string } }
  | { id: number; op: 'queryDecisions'; query: DecisionQuery }
  | { id: number; op: 'verifyLedger' }
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
  close: null;
}

export type StoreReply =
  | { kind: 'ready' }
  | { kind: 'open-failed'; error: RemoteError }
  | { kind: 'done'; id: number; value: StoreReplyValues[keyof StoreReplyValues] }
  | { kind: 'failed'; id: number; error: RemoteError };
