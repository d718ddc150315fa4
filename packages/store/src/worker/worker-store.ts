import { deserialize } from 'node:v8';
import type { Worker } from 'node:worker_threads';
import type { ContextSpan, ReadonlyDecisionEvent, DecisionRecord, SelectedContextSpans } from '@decision-trace/model';
import type { NeighborQuery, TraceDetail, WitnessOptions } from '../store.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { submitAppendCall, type AppendCall } from '../append-call.js';
import { GroupCommit, type CallOutcome } from '../group-commit.js';
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
  DecisionStore,
  LedgerVerification,
  VerifyLedgerOptions,
  QueryPage,
  RetentionPolicy,
  RetentionResult,
} from '../store.js';
import type { StoreReply, StoreReplyValues, StoreRequest, StoreWorkerData } from './protocol.js';
import { rebuildError } from './remote-error.js';
import { toAppendMessage } from './append-message.js';
import { startThread, threadEntry } from '../threads/start-thread.js';

const WORKER_ENTRY = threadEntry('./store-worker', import.meta.url);

/**
 * Append messages posted and not answered yet, at most. Each event-loop turn's appends are posted
 * at once; the messages that wait in the worker while it commits go together in its next
 * transaction (store-worker.ts), so groups stay large under load. Holding appends here until a
 * commit ended (this was 2) made the threads take turns: the worker idled while this thread held
 * requests it had already decoded. The bound only keeps a runaway caller from queueing without
 * end; the receivers' admission limit bounds the collector's requests well below it.
 */
const MAX_APPENDS_IN_FLIGHT = 64;

export interface WorkerStoreOptions {
  /** Tests: receives the worker thread once it has opened the database, e.g. to kill it as a crash would. */
  onWorkerReady?(worker: Worker): void;
}

interface PendingRequest {
  resolve(value: StoreReplyValues[keyof StoreReplyValues]): void;
  reject(error: Error): void;
}

/** A request before it is given its id. */
type RequestBody = StoreRequest extends infer R ? (R extends StoreRequest ? Omit<R, 'id'> : never) : never;

/**
 * A SqliteDecisionStore running in a worker thread, so that the collector's event loop never
 * waits for SQLite, hashing or record JSON. Append calls made in one event-loop turn travel as
 * one message, posted at once; the messages waiting in the worker while it commits go together
 * in its next transaction (group commit): a commit's fixed cost, and the index pages its rows
 * share, are paid once for the group. Each call resolves with its own result once its
 * transaction committed. If the worker dies, every pending and later call rejects.
 */
export class WorkerDecisionStore implements DecisionStore {
  readonly #worker: Worker;
  readonly #requests = new Map<number, PendingRequest>();
  #nextRequestId = 1;
  /**
   * A group is one message, committed in one transaction by the worker's store, which tries a
   * failing group's calls alone itself: a failed round trip fails the group's calls here.
   */
  readonly #appends = new GroupCommit<AppendCall, AppendResult>({
    commit: (calls) => this.#postAppends(calls),
    maxInFlight: MAX_APPENDS_IN_FLIGHT,
    retryRejectedAlone: false,
  });
  #commits = 0;
  /** Why calls are refused: the store was closed, or the worker died. */
  #unavailable: Error | null = null;
  #closing: Promise<void> | null = null;
  readonly #opened: Promise<void>;
  #settleOpen: { resolve(): void; reject(error: Error): void } | null = null;
  #workerError: Error | null = null;

  /** Starts the worker and resolves once it has opened (and migrated) the database. */
  static async open(path: string, options: WorkerStoreOptions = {}): Promise<WorkerDecisionStore> {
    const store = new WorkerDecisionStore(path);
    await store.#opened;
    options.onWorkerReady?.(store.#worker);
    return store;
  }

  private constructor(path: string) {
    this.#worker = startThread(WORKER_ENTRY, { path } satisfies StoreWorkerData);
    this.#opened = new Promise((resolve, reject) => (this.#settleOpen = { resolve, reject }));
    this.#worker.on('message', (reply: StoreReply) => this.#onReply(reply));
    this.#worker.on('error', (error) => (this.#workerError = error));
    this.#worker.on('exit', (code) => this.#onExit(code));
  }

  append(events: readonly ReadonlyDecisionEvent[]): Promise<AppendResult> {
    return submitAppendCall({ events }, (call) => this.#enqueue(call));
  }

  /**
   * Joins the append group of this turn: one message, one transaction with the decisions. The
   * spans are packed here (context-span-pack.ts), so the worker receives a pack per trace, not
   * span objects.
   */
  appendContextSpans(spans: ContextSpan[] | SelectedContextSpans): Promise<AppendResult> {
    return submitAppendCall({ spans }, (call) => this.#enqueue(call));
  }

  #enqueue(call: AppendCall): Promise<AppendResult> {
    if (this.#unavailable !== null) return Promise.reject(this.#unavailable);
    return this.#appends.add(call);
  }

  getDecision(id: string, opts: { tenant?: string } = {}): Promise<DecisionDetail[]> {
    return this.#request({ op: 'getDecision', decisionId: id, opts });
  }

  queryDecisions(query: DecisionQuery): Promise<QueryPage> {
    return this.#request({ op: 'queryDecisions', query });
  }

  verifyLedger(opts: VerifyLedgerOptions = {}): Promise<LedgerVerification> {
    // A callback cannot cross to the worker thread: only the tenant and the witness go.
    return this.#request({ op: 'verifyLedger', opts: { tenant: opts.tenant, witness: opts.witness } });
  }

  /** The worker's store writes the witness file: it knows each head as it commits. */
  async attachWitness(options: WitnessOptions): Promise<void> {
    await this.#request({ op: 'attachWitness', options });
  }

  stats(query: StatsQuery): Promise<DecisionStats> {
    return this.#request({ op: 'stats', query });
  }

  outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    return this.#request({ op: 'outcomeCounts', filter });
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    await this.#request({ op: 'appendAudit', entries });
  }

  queryAudit(query: AuditQuery): Promise<AuditPage> {
    return this.#request({ op: 'queryAudit', query });
  }

  applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    return this.#request({ op: 'applyRetention', policies: [...policies], now });
  }

  appendAlerts(alerts: DecisionAlert[]): Promise<AppendResult> {
    return this.#request({ op: 'appendAlerts', alerts });
  }

  queryAlerts(query: AlertQuery): Promise<AlertPage> {
    return this.#request({ op: 'queryAlerts', query });
  }

  getAlert(id: string, opts: { tenant?: string } = {}): Promise<DecisionAlert[]> {
    return this.#request({ op: 'getAlert', alertId: id, opts });
  }

  getTrace(traceId: string, opts: { tenant?: string } = {}): Promise<TraceDetail[]> {
    return this.#request({ op: 'getTrace', traceId, opts });
  }

  neighborDecisions(tenant: string, ids: readonly string[], opts: NeighborQuery = {}): Promise<DecisionRecord[]> {
    return this.#request({ op: 'neighborDecisions', tenant, ids: [...ids], opts });
  }

  /** Sends the appends still queued, waits for everything sent, closes the database and ends the worker. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  /** Append transactions the worker has committed, as of the last append reply. */
  get commits(): number {
    return this.#commits;
  }

  async #shutDown(): Promise<void> {
    this.#appends.flush({ evenAtLimit: true });
    if (this.#unavailable !== null) return; // The worker is gone already.
    const closed = this.#request({ op: 'close' });
    this.#unavailable = new Error('store is closed');
    try {
      await closed;
    } finally {
      await this.#worker.terminate();
    }
  }

  /**
   * Posts one group of appends. Throws when the worker is gone, or when the message cannot be
   * copied (a function in an event): the group commit then sends each call alone, so that only
   * the offending call fails.
   */
  #postAppends(calls: AppendCall[]): Promise<Array<CallOutcome<AppendResult>>> {
    if (this.#unavailable !== null) throw this.#unavailable;
    const reply = this.#request({ op: 'append', calls: calls.map(toAppendMessage) }, true);
    return reply.then(({ outcomes, commits }) => {
      this.#commits = commits;
      return outcomes.map((outcome) => (outcome.error === undefined ? { result: outcome.result } : { error: rebuildError(outcome.error) }));
    });
  }

  /**
   * Posts one request. A message that cannot be copied rejects the returned promise, or throws
   * when `throwIfUncopyable` (the append group then retries call by call).
   */
  #request<Op extends StoreRequest['op']>(request: RequestBody & { op: Op }, throwIfUncopyable = false): Promise<StoreReplyValues[Op]> {
    if (this.#unavailable !== null) return Promise.reject(this.#unavailable);
    const id = this.#nextRequestId++;
    try {
      this.#worker.postMessage({ ...request, id });
    } catch (error) {
      if (throwIfUncopyable) throw error;
      return Promise.reject(error);
    }
    // Keep the process alive only while an answer is awaited, as an in-thread store would.
    if (this.#requests.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => this.#requests.set(id, { resolve: resolve as PendingRequest['resolve'], reject }));
  }

  #onReply(reply: StoreReply): void {
    switch (reply.kind) {
      case 'ready':
        this.#worker.unref();
        this.#settleOpen?.resolve();
        this.#settleOpen = null;
        return;
      case 'open-failed':
        this.#settleOpen?.reject(rebuildError(reply.error));
        this.#settleOpen = null;
        void this.#worker.terminate();
        return;
    }
    const request = this.#requests.get(reply.id);
    if (request === undefined) return;
    this.#requests.delete(reply.id);
    if (this.#requests.size === 0) this.#worker.unref();
    if (reply.kind === 'failed') {
      request.reject(rebuildError(reply.error));
      return;
    }
    let value: StoreReplyValues[keyof StoreReplyValues];
    try {
      value = deserialize(reply.value) as StoreReplyValues[keyof StoreReplyValues];
    } catch (error) {
      request.reject(new Error(`the decision store's answer cannot be read: ${(error as Error).message}`, { cause: error }));
      return;
    }
    request.resolve(value);
  }

  #onExit(exitCode: number): void {
    const cause = this.#workerError === null ? '' : `: ${this.#workerError.message}`;
    const stopped = new Error(`decision store worker stopped (exit code ${exitCode})${cause}`, {
      ...(this.#workerError === null ? {} : { cause: this.#workerError }),
    });
    if (this.#unavailable === null) this.#unavailable = stopped;
    this.#settleOpen?.reject(stopped);
    this.#settleOpen = null;
    const requests = [...this.#requests.values()];
    this.#requests.clear();
    for (const request of requests) request.reject(stopped);
    // Nothing can be posted any more: the calls still queued fail with why.
    this.#appends.flush({ evenAtLimit: true });
  }
}
