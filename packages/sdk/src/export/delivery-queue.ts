import { diag } from '@opentelemetry/api';
import type { DecisionEvent } from '@decision-trace/model';
import { DecisionSinkError, type DecisionSink } from '../sinks/decision-sink.js';
import { withTracingSuppressed } from '../context/suppress-tracing.js';
import { retryDelayMillis, type RetryPolicy } from './retry-policy.js';

export interface DeliveryOptions {
  /** Items waiting for delivery; beyond it new items are dropped and counted. */
  maxQueueSize: number;
  /** Items converted and sent per sink call. */
  maxExportBatchSize: number;
  /** How long the first waiting item may wait for others before a batch leaves. */
  scheduledDelayMillis: number;
  /** One sink call may take this long; then it counts as failed (retryable) and is abandoned. */
  exportTimeoutMillis: number;
  retry: RetryPolicy;
}

export interface DeliveryStats {
  /** Items waiting now. */
  queued: number;
  /**
   * Items lost before they became events: refused because the queue was full or shut down,
   * still queued at shutdown's deadline, or failing conversion.
   */
  dropped: number;
  exportedEvents: number;
  /** Events given up on: a permanent error, attempts exhausted, or shutdown's deadline. */
  failedEvents: number;
  /** Sink calls repeated after a retryable failure. */
  retries: number;
}

const DROP_WARNING_INTERVAL_MS = 10_000;

/**
 * A bounded queue between span processing and a decision sink. `offer` is all the calling
 * thread ever does (an array push); conversion and delivery happen later, one batch at a time,
 * with retries and backoff. Nothing a sink does — throw, reject, hang — reaches `offer`'s
 * caller: a hung call is abandoned after `exportTimeoutMillis`.
 */
export class DeliveryQueue<Item> {
  private pending: Item[] = [];
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private deadline = Number.POSITIVE_INFINITY;
  private readonly stopSignal = new AbortController();
  private lastDropWarning = 0;
  private readonly counters = { dropped: 0, exportedEvents: 0, failedEvents: 0, retries: 0 };

  constructor(
    private readonly sink: DecisionSink,
    private readonly convert: (items: Item[]) => DecisionEvent[],
    private readonly options: DeliveryOptions,
  ) {}

  get stats(): DeliveryStats {
    return { queued: this.pending.length, ...this.counters };
  }

  /** Never throws and never waits; false when the item was dropped. */
  offer(item: Item): boolean {
    if (this.stopped || this.pending.length >= this.options.maxQueueSize) {
      this.counters.dropped++;
      this.warnDropped();
      return false;
    }
    this.pending.push(item);
    if (this.running !== undefined) return true;
    if (this.pending.length >= this.options.maxExportBatchSize) {
      // Deferred to a later turn of the event loop: the caller is inside a span's end().
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.start();
      });
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, this.options.scheduledDelayMillis);
      this.timer.unref();
    }
    return true;
  }

  /** Resolves when everything offered before the call has been delivered or given up on. */
  async flush(): Promise<void> {
    const release = keepProcessAlive();
    try {
      while (this.running !== undefined || (this.pending.length > 0 && !this.stopSignal.signal.aborted)) {
        this.start();
        await this.running;
      }
    } finally {
      release();
    }
  }

  /**
   * Stops accepting items, delivers what is queued within `timeoutMillis` (retries included),
   * then shuts the sink down. At the deadline, queued items count as dropped and the batch in
   * delivery as failed.
   */
  async shutdown(timeoutMillis: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.deadline = Date.now() + timeoutMillis;
    const release = keepProcessAlive();
    try {
      await this.deliverRemaining(timeoutMillis);
    } finally {
      release();
    }
  }

  private async deliverRemaining(timeoutMillis: number): Promise<void> {
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadlineReached = new Promise<void>((resolve) => {
      deadlineTimer = setTimeout(resolve, timeoutMillis);
      deadlineTimer.unref();
    });
    await Promise.race([this.flush(), deadlineReached]);
    clearTimeout(deadlineTimer);
    this.stopSignal.abort(new Error('decision delivery shut down'));
    if (this.pending.length > 0) {
      this.counters.dropped += this.pending.length;
      diag.warn(`decision-trace: ${this.pending.length} queued decision items not delivered before shutdown`);
      this.pending = [];
    }
    this.clearTimers();
    try {
      // A sink gets at least a moment to close, even when delivery used up the whole deadline.
      await withTimeout(Promise.resolve().then(() => this.sink.shutdown?.()), Math.max(100, this.deadline - Date.now()));
    } catch (error) {
      diag.warn('decision-trace: decision sink shutdown failed', error);
    }
  }

  private start(): void {
    if (this.running !== undefined || this.pending.length === 0 || this.stopSignal.signal.aborted) return;
    this.clearTimers();
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.pending.length > 0 && !this.stopSignal.signal.aborted) this.offerAgainLater();
    });
  }

  private offerAgainLater(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, this.options.scheduledDelayMillis);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.stopSignal.signal.aborted) {
      const batch = this.pending.splice(0, this.options.maxExportBatchSize);
      await this.deliver(batch);
    }
  }

  private async deliver(batch: Item[]): Promise<void> {
    let events: DecisionEvent[];
    try {
      events = this.convert(batch);
    } catch (error) {
      this.counters.dropped += batch.length;
      diag.error('decision-trace: converting spans to decision events failed', error);
      return;
    }
    if (events.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(events);
      if (failure === undefined) {
        this.counters.exportedEvents += events.length;
        return;
      }
      const retryable = !(failure instanceof DecisionSinkError) || failure.retryable;
      const delay = retryable
        ? retryDelayMillis(attempt, this.options.retry, (failure as Partial<DecisionSinkError>).retryAfterMs)
        : 0;
      const giveUp =
        !retryable ||
        attempt >= this.options.retry.maxAttempts ||
        this.stopSignal.signal.aborted ||
        Date.now() + delay >= this.deadline;
      if (giveUp) {
        this.counters.failedEvents += events.length;
        diag.warn(`decision-trace: ${events.length} decision events not delivered after ${attempt} attempt(s)`, failure);
        return;
      }
      this.counters.retries++;
      await sleep(delay, this.stopSignal.signal);
    }
  }

  /** One sink call; resolves to undefined on success or to what went wrong. Never rejects. */
  private async attempt(events: DecisionEvent[]): Promise<unknown> {
    const controller = new AbortController();
    let abandon!: (reason: unknown) => void;
    const abandoned = new Promise<unknown>((resolve) => {
      abandon = (reason) => {
        controller.abort(reason);
        resolve(reason);
      };
    });
    const timer = setTimeout(() => {
      abandon(
        new DecisionSinkError(`decision sink did not answer within ${this.options.exportTimeoutMillis} ms`, {
          retryable: true,
        }),
      );
    }, this.options.exportTimeoutMillis);
    timer.unref();
    const abandonOnStop = () => abandon(this.stopSignal.signal.reason);
    this.stopSignal.signal.addEventListener('abort', abandonOnStop, { once: true });
    const call = Promise.resolve()
      .then(() => withTracingSuppressed(() => this.sink.export(events, { signal: controller.signal })))
      .then(
        () => undefined,
        (error: unknown) => error ?? new Error('decision sink rejected without a reason'),
      );
    try {
      return await Promise.race([call, abandoned]);
    } finally {
      clearTimeout(timer);
      this.stopSignal.signal.removeEventListener('abort', abandonOnStop);
    }
  }

  private warnDropped(): void {
    const now = Date.now();
    if (now - this.lastDropWarning < DROP_WARNING_INTERVAL_MS) return;
    this.lastDropWarning = now;
    diag.warn(
      `decision-trace: decision queue ${this.stopped ? 'is shut down' : `is full (${this.options.maxQueueSize})`}; ` +
        `${this.counters.dropped} decision items dropped so far`,
    );
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

/**
 * Timers of background delivery are unref'd: they must not keep an application running. While
 * someone awaits a flush or shutdown, though, the process has to stay up until it is done.
 */
function keepProcessAlive(): () => void {
  const handle = setInterval(() => {}, 1 << 30);
  return () => clearInterval(handle);
}

function sleep(millis: number, signal: AbortSignal): Promise<void> {
  if (millis <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, millis);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function withTimeout(promise: Promise<unknown>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, millis);
    timer.unref();
  });
  try {
    await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
