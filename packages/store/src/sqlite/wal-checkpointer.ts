import type { Worker } from 'node:worker_threads';
import { startThread, threadEntry } from '../threads/start-thread.js';

/**
 * Copies the SQLite store's WAL back into the database file from a thread of its own.
 *
 * Left to SQLite, the checkpoint runs inside the commit that crosses `wal_autocheckpoint`: the
 * writer then copies thousands of pages and syncs the file while every append waits for it.
 * That was about a third of the store worker's time under ingest load. With this thread the
 * writer only appends to the WAL; checkpoints run beside it on their own connection, which
 * SQLite's WAL mode allows (readers and the writer go on while a passive checkpoint copies).
 *
 * Should the thread fail, the store turns SQLite's own checkpoints back on (`onFailure`).
 */
export interface WalCheckpointerOptions {
  /** Between two checkpoints while appends go on. */
  intervalMs?: number;
  /** Between two checkpoints when nothing was appended since the last one. */
  idleIntervalMs?: number;
  /** WAL frames past which the checkpointer makes the WAL start over. */
  restartFrames?: number;
  onFailure(message: string): void;
}

export interface CheckpointThreadData {
  path: string;
  intervalMs: number;
  idleIntervalMs: number;
  restartFrames: number;
}

export type CheckpointThreadMessage = { kind: 'checkpointed' } | { kind: 'idle' } | { kind: 'failed'; message: string };

const ENTRY = threadEntry('./checkpoint-thread', import.meta.url);

export class WalCheckpointer {
  readonly #thread: Worker;
  /** Settles when the thread has ended, whether stopped or failed (an ended thread emits no more). */
  readonly #exited: Promise<unknown>;
  #checkpoints = 0;
  #stopped = false;
  /** The thread found nothing new and waits `idleIntervalMs`: the next write wakes it. */
  #idle = false;

  constructor(path: string, options: WalCheckpointerOptions) {
    const data: CheckpointThreadData = {
      path,
      intervalMs: options.intervalMs ?? 200,
      idleIntervalMs: options.idleIntervalMs ?? 2000,
      // 160 MB of 4 KB pages.
      restartFrames: options.restartFrames ?? 40_000,
    };
    this.#thread = startThread(ENTRY, data);
    this.#exited = new Promise((resolve) => this.#thread.once('exit', resolve));
    // The store's thread must be able to end while the checkpointer waits for its next round.
    this.#thread.unref();
    let failed = false;
    const fail = (message: string) => {
      if (failed || this.#stopped) return;
      failed = true;
      options.onFailure(message);
    };
    this.#thread.on('message', (message: CheckpointThreadMessage) => {
      if (message.kind === 'checkpointed') {
        this.#checkpoints += 1;
        return;
      }
      if (message.kind === 'idle') {
        this.#idle = true;
        return;
      }
      fail(message.message);
      void this.stop();
    });
    this.#thread.on('error', (error) => fail(error.message));
    this.#thread.on('exit', (code) => fail(`checkpoint thread exited with code ${code}`));
  }

  /** The writer committed: an idle thread resumes its rounds (one message per idle spell). */
  written(): void {
    if (!this.#idle || this.#stopped) return;
    this.#idle = false;
    this.#thread.postMessage({ op: 'wake' });
  }

  /** Checkpoint rounds run so far. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /** Ends the thread after its current round; its connection is closed before this resolves. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Unreferenced, the thread would not keep this one alive while it winds down.
    this.#thread.ref();
    this.#thread.postMessage({ op: 'stop' });
    await this.#exited;
  }
}
