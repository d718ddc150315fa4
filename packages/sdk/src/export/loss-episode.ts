import { diag } from '@opentelemetry/api';

/**
 * Losses of one outage, reported through OTel's `diag` once at its start and once at its end
 * with the count — not once per batch, which buries the log while a backend is down, and never
 * not at all. An episode starts with the first batch given up on and ends at the next batch
 * delivered, or at shutdown.
 */
export class LossEpisode {
  private lost = 0;
  private batches = 0;

  constructor(private readonly wording: { outputs: string; destination: string }) {}

  get open(): boolean {
    return this.batches > 0;
  }

  /** A batch given up on (after its retries, or at once when the failure is not retryable). */
  lose(count: number, attempts: number, reason: unknown): void {
    this.lost += count;
    this.batches++;
    if (this.batches > 1) return;
    diag.warn(
      `decision-trace: ${this.wording.destination} is not taking ${this.wording.outputs}: ${count} dropped after ${attempts} attempt(s) (${describe(reason)}); ` +
        'further losses are counted and reported when delivery works again or at shutdown',
      reason,
    );
  }

  /** A batch delivered: ends an episode, with its count. */
  delivered(): void {
    if (!this.open) return;
    diag.warn(`decision-trace: ${this.wording.destination} delivers again; ${this.lost} ${this.wording.outputs} were dropped while it did not`);
    this.reset();
  }

  /** Shutdown during an episode: its count, since no delivery will end it. */
  closeAtShutdown(): void {
    if (!this.open) return;
    diag.warn(`decision-trace: ${this.lost} ${this.wording.outputs} were dropped since the ${this.wording.destination} stopped taking them (until shutdown)`);
    this.reset();
  }

  private reset(): void {
    this.lost = 0;
    this.batches = 0;
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
