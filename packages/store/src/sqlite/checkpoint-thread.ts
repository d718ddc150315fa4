import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './driver-choice.js';
import type { CheckpointThreadData, CheckpointThreadMessage } from './wal-checkpointer.js';
import { nameThisThread } from '../threads/thread-name.js';

/**
 * The WAL checkpointer's thread (see wal-checkpointer.ts): its own connection copies committed
 * WAL frames back into the database while the writer goes on appending.
 */

if (parentPort === null) throw new Error('checkpoint-thread.ts runs as a worker thread (see WalCheckpointer)');
const port = parentPort;
nameThisThread('dt-checkpoint');
const { path, intervalMs, idleIntervalMs, restartFrames } = workerData as CheckpointThreadData;

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

const db = openSqlite(path);
// A restart checkpoint holds new writers back while it waits for readers (an API query, a ledger
// verification) to leave the WAL: give up soon and try again next round rather than stall ingest.
db.pragma('busy_timeout = 50');
let timer: NodeJS.Timeout | undefined;
let lastLog = -1;

function checkpoint(): void {
  let delay = intervalMs;
  const previousLog = lastLog;
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    if (passive !== undefined) {
      // A passive checkpoint never waits, so under steady appends it rarely finds the WAL fully
      // copied at the moment a writer starts, which is when the WAL would start over. Past
      // `restartFrames` a restart checkpoint makes the writer wait for that moment (briefly: the
      // passive rounds have copied nearly everything), so the file stops growing.
      if (passive.log >= restartFrames) db.pragma('wal_checkpoint(RESTART)');
      lastLog = passive.log;
      post({ kind: 'checkpointed' });
      // Nothing new since the last round: the store is idle; look rarely until it writes again.
      if (passive.log === previousLog) {
        delay = idleIntervalMs;
        post({ kind: 'idle' });
      }
    }
  } catch (error) {
    post({ kind: 'failed', message: (error as Error).message });
  }
  timer = setTimeout(checkpoint, delay);
}

function post(message: CheckpointThreadMessage): void {
  port.postMessage(message);
}

port.on('message', (message: { op: 'stop' | 'wake' }) => {
  clearTimeout(timer);
  if (message.op === 'wake') {
    timer = setTimeout(checkpoint, intervalMs);
    return;
  }
  db.close();
  port.close();
});

timer = setTimeout(checkpoint, intervalMs);
