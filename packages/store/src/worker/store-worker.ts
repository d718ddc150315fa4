import { serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteDecisionStore } from '../sqlite/sqlite-store.js';
import type { AppendResult } from '../store.js';
import type { AppendOutcome, AppendReply, StoreReply, StoreReplyValues, StoreRequest, StoreWorkerData } from './protocol.js';
import { toRemoteError } from './remote-error.js';
import { GroupCommit } from '../group-commit.js';
import { fromAppendMessage, type AppendMessage } from './append-message.js';
import { nameThisThread } from '../threads/thread-name.js';

/**
 * The store worker: owns the SQLite connection so that transactions, hashing and JSON run off
 * the collector's event loop. It serves WorkerDecisionStore's requests; see protocol.ts.
 */

if (parentPort === null) throw new Error('store-worker.ts runs as a worker thread (see WorkerDecisionStore)');
const port = parentPort;
nameThisThread('dt-store');

let store: SqliteDecisionStore | undefined;
try {
  store = new SqliteDecisionStore((workerData as StoreWorkerData).path);
} catch (error) {
  post({ kind: 'open-failed', error: toRemoteError(error) });
}

if (store !== undefined) serve(store);

function serve(store: SqliteDecisionStore): void {
  /** Requests received and not yet answered; close waits for them. */
  const inFlight = new Set<Promise<void>>();
  /**
   * Append messages waiting here commit together, but a group takes at most half of the rows
   * waiting (and at least one message; never part of one). Taking them all made the collector's
   * two threads take turns: with 16 requests in flight the store committed all 16 at once, all
   * answers went back together, and the main thread decoded the next 16 while this thread had
   * nothing to do, then idled while this thread committed them. With half, the answers of one
   * group go back while the other half commits, so the clients' next requests are decoded
   * meanwhile and wait here when that commit ends. A rule rather than a fixed size: it follows the
   * clients' concurrency and the requests' size, and a lone message still commits at once.
   */
  const appends = new GroupCommit<AppendMessage[], AppendReply>({
    // Every call of every message of the group is handed to the store in this turn: one transaction.
    commit: (messages) => Promise.all(messages.map((calls) => appendGroup(store, calls).then((result) => ({ result })))),
    maxInFlight: 1,
    // appendGroup never rejects: the store tries a failing group's calls alone itself.
    retryRejectedAlone: false,
    maxGroupWeight: (waiting) => waiting / 2,
    weigh: rowsOf,
  });
  port.on('message', (request: StoreRequest) => {
    const answered = (request.op === 'append' ? appends.add(request.calls) : answer(store, request, inFlight)).then(
      (value) => reply(request.id, value),
      (error: unknown) => post({ kind: 'failed', id: request.id, error: toRemoteError(error) }),
    );
    inFlight.add(answered);
    void answered.finally(() => inFlight.delete(answered));
  });
  post({ kind: 'ready' });
}

async function answer(
  store: SqliteDecisionStore,
  request: StoreRequest,
  inFlight: ReadonlySet<Promise<void>>,
): Promise<StoreReplyValues[keyof StoreReplyValues]> {
  switch (request.op) {
    case 'append':
      // Not reached: serve() hands appends to its group commit.
      throw new Error('append requests are grouped, not answered one by one');
    case 'getDecision':
      return store.getDecision(request.decisionId, request.opts);
    case 'queryDecisions':
      return store.queryDecisions(request.query);
    case 'verifyLedger':
      return store.verifyLedger(request.opts);
    case 'attachWitness':
      await store.attachWitness(request.options);
      return null;
    case 'stats':
      return store.stats(request.query);
    case 'outcomeCounts':
      return store.outcomeCounts(request.filter);
    case 'appendAudit':
      await store.appendAudit(request.entries);
      return null;
    case 'queryAudit':
      return store.queryAudit(request.query);
    case 'getTrace':
      return store.getTrace(request.traceId, request.opts);
    case 'neighborDecisions':
      return store.neighborDecisions(request.tenant, request.ids, request.opts);
    case 'applyRetention':
      return store.applyRetention(request.policies, request.now);
    case 'appendAlerts':
      return store.appendAlerts(request.alerts);
    case 'queryAlerts':
      return store.queryAlerts(request.query);
    case 'getAlert':
      return store.getAlert(request.alertId, request.opts);
    case 'close':
      // The set does not hold this request yet: it is added once answer() returns.
      await Promise.allSettled(inFlight);
      await store.close();
      // Nothing else will arrive: let the thread end once the reply is out.
      setImmediate(() => port.close());
      return null;
  }
}

/** The calls are appended in one turn, so the SQLite store commits them as one transaction. */
async function appendGroup(store: SqliteDecisionStore, messages: AppendMessage[]): Promise<AppendReply> {
  const settled = await Promise.allSettled(messages.map((message) => appendMessage(store, message)));
  const outcomes = settled.map((outcome): AppendOutcome =>
    outcome.status === 'fulfilled' ? { result: outcome.value } : { error: toRemoteError(outcome.reason) },
  );
  return { outcomes, commits: store.commits };
}

/** Ledger events and context spans of a message: what its share of a transaction costs. */
function rowsOf(calls: AppendMessage[]): number {
  let rows = 0;
  for (const call of calls) {
    if (call.eventJson !== undefined) rows += call.eventJson.length;
    else for (const pack of call.packs) rows += pack.count;
  }
  return rows;
}

/** A call whose message cannot be read fails alone, as one the store refuses. */
async function appendMessage(store: SqliteDecisionStore, message: AppendMessage): Promise<AppendResult> {
  return store.appendPrepared(fromAppendMessage(message));
}

/** A value that cannot be copied back fails its request instead of the whole worker. */
function reply(id: number, value: StoreReplyValues[keyof StoreReplyValues]): void {
  let bytes: Buffer;
  try {
    bytes = serialize(value);
  } catch (error) {
    post({ kind: 'failed', id, error: toRemoteError(error) });
    return;
  }
  // The bytes are this reply's own memory: moved, not copied, when nothing else shares it.
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  post({ kind: 'done', id, value: bytes }, owned ? [bytes.buffer as ArrayBuffer] : []);
}

function post(message: StoreReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}
