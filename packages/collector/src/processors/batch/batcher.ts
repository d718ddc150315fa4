import type { ReadonlyDecisionEvent, ReadonlyResourceSpans } from '@decision-trace/model';
import type { TracesConsumer } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import type { BatchProcessorConfig } from './config.js';
import { takeSpans } from './split-spans.js';

export type FlushTrigger = 'size' | 'timeout' | 'shutdown';

export interface BatcherHooks {
  flushed?(trigger: FlushTrigger, spans: number): void;
  /** Spans given up on: the next consumer refused them for good, or shutdown ran out of time. */
  dropped?(spans: number, reason: unknown): void;
}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/**
 * One batch per tenant: an authenticated tenant overrides the payload, so tenants never mix.
 * Partitions are kept once created (tenants are few: one per receiver credential).
 */
interface Partition {
  tenant: string | undefined;
  spans: ReadonlyResourceSpans[];
  count: number;
  /** Decision events held with the spans (when the processor holds decision data: see factory.ts); they go with the next batch sent. */
  decisions: ReadonlyDecisionEvent[];
  timer?: unknown;
  /** Set while the next consumer refuses (a full queue): new spans are refused until then. */
  stalledUntil?: number;
  retryTimer?: unknown;
}

/**
 * Accumulates context spans and sends them on when `send_batch_size` spans are there or
 * `timeout` has passed since the first one, in batches of at most `send_batch_max_size`.
 *
 * When the next consumer refuses a batch with a retryable error (its queue is full), the batch
 * is kept and tried again after the wait it asked for, and meanwhile new spans for that tenant
 * are refused with the same retryable error: back-pressure reaches the client instead of the
 * batch being dropped.
 */
export class Batcher {
  private readonly partitions = new Map<string, Partition>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly config: BatchProcessorConfig,
    private readonly next: TracesConsumer,
    private readonly hooks: BatcherHooks = {},
    private readonly timers: Timers = realTimers,
  ) {}

  /** Spans held, over all tenants. */
  get pendingSpans(): number {
    let total = 0;
    for (const partition of this.partitions.values()) total += partition.count;
    return total;
  }

  add(tenant: string | undefined, spans: readonly ReadonlyResourceSpans[], count: number, decisions: readonly ReadonlyDecisionEvent[] = []): void {
    if (this.closed) throw new PipelineError('batch processor is shutting down', { retryable: true, retryAfterSeconds: 1 });
    const partition = this.partition(tenant);
    const now = this.timers.now();
    if (partition.stalledUntil !== undefined) {
      throw new PipelineError('the next component is refusing data; retry later', {
        retryable: true,
        retryAfterSeconds: Math.max(1, Math.ceil((partition.stalledUntil - now) / 1000)),
      });
    }
    for (const rs of spans) partition.spans.push(rs);
    partition.count += count;
    for (const event of decisions) partition.decisions.push(event);
    this.flushFull(partition, 'size');
    if (partition.count > 0 && partition.timer === undefined) {
      partition.timer = this.timers.set(() => {
        partition.timer = undefined;
        if (partition.stalledUntil === undefined && partition.count > 0) this.send(partition, 'timeout');
      }, this.config.timeout);
    }
  }

  /** Sends everything held, retrying refused batches until `deadline`; what is left then is dropped. */
  async close(deadline: number): Promise<void> {
    this.closed = true;
    for (;;) {
      for (const partition of this.partitions.values()) {
        this.clearTimers(partition);
        if (partition.stalledUntil !== undefined && partition.stalledUntil <= this.timers.now()) partition.stalledUntil = undefined;
        while (partition.count > 0 && partition.stalledUntil === undefined) this.send(partition, 'shutdown');
      }
      await Promise.all(this.inFlight);
      const remaining = [...this.partitions.values()].filter((p) => p.count > 0);
      if (remaining.length === 0) return;
      const now = this.timers.now();
      if (now >= deadline) {
        for (const partition of remaining) {
          this.hooks.dropped?.(partition.count, new Error('shutdown_timeout reached while the next component refused data'));
          partition.spans = [];
          partition.count = 0;
          partition.decisions = [];
        }
        return;
      }
      const wake = Math.min(deadline, ...remaining.map((p) => p.stalledUntil ?? now));
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, wake - now)));
    }
  }

  private partition(tenant: string | undefined): Partition {
    const key = tenant ?? '';
    let partition = this.partitions.get(key);
    if (!partition) {
      partition = { tenant, spans: [], count: 0, decisions: [] };
      this.partitions.set(key, partition);
    }
    return partition;
  }

  private flushFull(partition: Partition, trigger: FlushTrigger): void {
    while (partition.count >= this.config.send_batch_size && partition.stalledUntil === undefined) this.send(partition, trigger);
  }

  private send(partition: Partition, trigger: FlushTrigger): void {
    const limit = this.config.send_batch_max_size > 0 ? this.config.send_batch_max_size : partition.count;
    const slice = takeSpans(partition.spans, partition.count, limit);
    partition.spans = slice.tail;
    partition.count = slice.tailCount;
    if (partition.count === 0 && partition.timer !== undefined) {
      this.timers.clear(partition.timer);
      partition.timer = undefined;
    }
    const decisions = partition.decisions;
    partition.decisions = [];
    const batch = { resourceSpans: slice.head, spanCount: slice.headCount, decisions, tenant: partition.tenant };
    const delivery = Promise.resolve()
      .then(() => this.next.consumeTraces(batch))
      .then(
        () => this.hooks.flushed?.(trigger, slice.headCount),
        (error: unknown) => this.refused(partition, slice.head, slice.headCount, decisions, error),
      );
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private refused(partition: Partition, spans: readonly ReadonlyResourceSpans[], count: number, decisions: ReadonlyDecisionEvent[], error: unknown): void {
    if (!(error instanceof PipelineError) || !error.retryable) {
      this.hooks.dropped?.(count, error);
      return;
    }
    // Back to the front, so spans keep their order when the consumer takes data again.
    partition.spans = [...spans, ...partition.spans];
    partition.count += count;
    partition.decisions = [...decisions, ...partition.decisions];
    const waitMs = error.retryAfterSeconds * 1000;
    partition.stalledUntil = this.timers.now() + waitMs;
    if (partition.retryTimer !== undefined || this.closed) return;
    partition.retryTimer = this.timers.set(() => {
      partition.retryTimer = undefined;
      partition.stalledUntil = undefined;
      if (partition.count === 0) return;
      this.send(partition, 'timeout');
      this.flushFull(partition, 'size');
    }, waitMs);
  }

  private clearTimers(partition: Partition): void {
    if (partition.timer !== undefined) this.timers.clear(partition.timer);
    if (partition.retryTimer !== undefined) this.timers.clear(partition.retryTimer);
    partition.timer = undefined;
    partition.retryTimer = undefined;
  }
}
