import type { Logger } from 'pino';
import type { RetentionPolicy, RetentionResult, StoreMaintenance } from '@decision-trace/store';
import type { CounterHandle, MetricsRegistry } from '../../telemetry/metrics-registry.js';
import type { RetentionConfig } from './config.js';

/** The first run comes soon after start (not a whole interval later), yet not during start-up. */
const FIRST_RUN_MAX_DELAY_MS = 1_000;

interface RetentionMetrics {
  runs: CounterHandle;
  failures: CounterHandle;
  deletedDecisions: CounterHandle;
  deletedEvents: CounterHandle;
}

/**
 * Applies the retention policies to the store in the background: shortly after start, then
 * every interval. The timer does not keep the process alive; a failed run is logged and the
 * next interval tries again; stop() waits for a run in progress so the store is not closed
 * under it.
 */
export class RetentionSchedule {
  private readonly policies: RetentionPolicy[];
  private readonly metrics: RetentionMetrics;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly config: RetentionConfig,
    private readonly store: StoreMaintenance,
    private readonly logger: Logger,
    metrics: MetricsRegistry,
    exporterId: string,
  ) {
    this.policies = config.policies.map((p) => ({ ttl_ms: p.ttl, ...(p.tenant && { tenant: p.tenant }), ...(p.type && { type: p.type }) }));
    const labels = { exporter: exporterId };
    this.metrics = {
      runs: metrics.counter('otelcol_exporter_retention_runs_total', 'Retention runs of the decisions exporter (successful or not).').with(labels),
      failures: metrics.counter('otelcol_exporter_retention_failures_total', 'Retention runs that failed (retried at the next interval).').with(labels),
      deletedDecisions: metrics.counter('otelcol_exporter_retention_deleted_decisions_total', 'Decision records deleted by retention.').with(labels),
      deletedEvents: metrics.counter('otelcol_exporter_retention_deleted_events_total', 'Ledger events whose content retention deleted.').with(labels),
    };
  }

  start(): void {
    this.schedule(Math.min(this.config.interval, FIRST_RUN_MAX_DELAY_MS));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.config.interval);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    this.metrics.runs.add();
    let result: RetentionResult;
    try {
      result = await this.store.applyRetention(this.policies, new Date());
    } catch (error) {
      this.metrics.failures.add();
      this.logger.error({ err: error }, 'applying retention failed; retrying at the next interval');
      return;
    }
    this.metrics.deletedDecisions.add(result.deleted_decisions);
    this.metrics.deletedEvents.add(result.deleted_events);
    if (result.deleted_decisions > 0) this.logger.info(result, 'retention deleted expired decisions');
  }
}
