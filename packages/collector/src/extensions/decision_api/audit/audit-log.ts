import type { Logger } from 'pino';
import type { AuditEntry, AuditLogStore } from '@decision-trace/store';

export interface AuditLogOptions {
  /** A batch is written this long after its first entry at the latest. */
  flushIntervalMs?: number;
  /** A batch this large is written at once. */
  maxBatch?: number;
}

/**
 * Collects the audit entries of reads and writes them to the store in batches, so a read
 * answers without waiting for its own audit row. A failed write is logged and those entries
 * are lost: the audit log must never make reads fail.
 */
export class AuditLog {
  private pending: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;

  constructor(
    private readonly store: Pick<AuditLogStore, 'appendAudit'>,
    private readonly logger: Logger,
    options: AuditLogOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.maxBatch = options.maxBatch ?? 200;
  }

  record(entry: AuditEntry): void {
    this.pending.push(entry);
    if (this.pending.length >= this.maxBatch) {
      void this.flush();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending; resolves once every earlier batch is written (or has failed). */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  private async write(batch: AuditEntry[]): Promise<void> {
    try {
      await this.store.appendAudit(batch);
    } catch (error) {
      this.logger.error({ err: error, entries: batch.length }, 'writing the audit log failed; these entries are lost');
    }
  }
}
