import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { WitnessOptions } from '../store.js';
import type { ChainHead, ChainHeads } from './chain-heads.js';

export const DEFAULT_WITNESS_INTERVAL_MS = 1000;

/**
 * Appends chain heads to the witness file as JSON lines, one line per write holding the heads
 * that changed since the previous line:
 *
 *   {"at":"2026-12-07T02:00:00.000Z","ledger":{"acme":{"seq":12,"hash":"…"}},"audit":{"seq":3,"hash":"…"}}
 *
 * The store notes each head after its commit (a map update, nothing else on the append path);
 * a timer writes what changed every interval, with one fsync, and close writes the rest.
 */
export class WitnessWriter {
  readonly path: string;
  readonly #pending: ChainHeads = { ledger: new Map(), audit: null };
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: WitnessOptions, initial: ChainHeads) {
    this.path = resolve(options.path);
    mkdirSync(dirname(this.path), { recursive: true });
    for (const [tenant, head] of initial.ledger) this.#pending.ledger.set(tenant, head);
    this.#pending.audit = initial.audit;
    // Fail at attach time, not at the first interval, when the file cannot be written.
    this.flush();
    const interval = options.interval_ms ?? DEFAULT_WITNESS_INTERVAL_MS;
    this.#timer = setInterval(() => this.#flushQuietly(), interval);
    this.#timer.unref();
  }

  noteLedger(tenant: string, head: ChainHead): void {
    this.#pending.ledger.set(tenant, head);
  }

  noteAudit(head: ChainHead): void {
    this.#pending.audit = head;
  }

  /** Writes the heads noted since the last write, if any, and syncs the file. */
  flush(): void {
    if (this.#pending.ledger.size === 0 && this.#pending.audit === null) return;
    const line: { at: string; ledger?: Record<string, ChainHead>; audit?: ChainHead } = { at: new Date().toISOString() };
    if (this.#pending.ledger.size > 0) line.ledger = Object.fromEntries(this.#pending.ledger);
    if (this.#pending.audit !== null) line.audit = this.#pending.audit;
    const fd = openSync(this.path, 'a');
    try {
      appendFileSync(fd, `${JSON.stringify(line)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#pending.ledger.clear();
    this.#pending.audit = null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.flush();
  }

  /** A failed periodic write keeps the heads pending for the next one (or close, which throws). */
  #flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // Retried at the next interval.
    }
  }
}
