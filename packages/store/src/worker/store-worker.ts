import { serialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteDecisionStore } from '../sqlite/sqlite-store.js';
import type { AppendResult } from '../store.js';
import type { AppendOutcome, AppendReply, StoreReply, StoreReplyValues, StoreRequest, StoreWorkerData } from './protocol.js';
import { toRemoteError } from './remote-error.js';
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
  port.on('message', (request: StoreRequest) => {
    const answered = answer(store, request, inFlight).then(
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
      return appendGroup(store, request.calls);
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
