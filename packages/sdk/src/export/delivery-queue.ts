import { diag } from '@opentelemetry/api';
import { LossEpisode } from './loss-episode.js';
import type { DecisionEvent } from '@decision-trace/model';
import type { SinkExportOptions } from '../sinks/decision-sink.js';
import { withTracingSuppressed } from '../context/suppress-tracing.js';
import { retryDelayMillis, type RetryPolicy } from './retry-policy.js';

/**
 * Where a delivery queue sends its batches: a decision sink (`DecisionSink` is one), or the
 * application's span exporter behind the dual exporter. A rejection may carry `retryable`
 * (false: sending again cannot help) and `retryAfterMs` (the destination's own wait hint);
 * any other rejection counts as retryable.
 */
export interface DeliveryDestination<Output> {
  export(batch: readonly Output[], options: SinkExportOptions): Promise<void>;
  /** Called once, after the last export. */
  shutdown?(): Promise<void>;
}

/** What a queue delivers, for its diagnostics: nouns in the plural. */
export interface DeliveryWording {
  /** What is queued: `decision items`, `spans`. */
  items: string;
  /** What the destination receives: `decision events`, `spans`. */
  outputs: string;
  /** The destination: `decision sink`, `span exporter`. */
  destination: string;
}

const DECISION_WORDING: DeliveryWording = { items: 'decision items', outputs: 'decision events', destination: 'decision sink' };

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
  /**
   * Items converted per turn of the event loop: conversion yields between slices so that a big
   * batch never stalls the application's requests for long. Default: the whole batch at once.
   */
  conversionSliceSize?: number;
  /** Default: the decision delivery's wording. */
  wording?: DeliveryWording;
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
 * A bounded queue between span processing and a destination (a decision sink, a span
 * exporter). `offer` is all the calling thread ever does (an array push); conversion and
 * delivery happen later, one batch at a time, with retries and backoff. Nothing a destination
 * does — throw, reject, hang — reaches `offer`'s caller: a hung call is abandoned after
 * `exportTimeoutMillis`. `stats` counts outputs as `exportedEvents` / `failedEvents`.
 */
export class DeliveryQueue<Item, Output = DecisionEvent> {
  private pending: Item[] = [];
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;
  private deadline = Number.POSITIVE_INFINITY;
  private readonly stopSignal = new AbortController();
  private lastDropWarning = 0;
  private readonly counters = { dropped: 0, exportedEvents: 0, failedEvents: 0, retries: 0 };

  private readonly wording: DeliveryWording;
  private readonly losses: LossEpisode;

  constructor(
    private readonly sink: DeliveryDestination<Output>,
    private readonly convert: (items: Item[]) => Output[],
    private readonly options: DeliveryOptions,
  ) {
    this.wording = options.wording ?? DECISION_WORDING;
    this.losses = new LossEpisode(this.wording);
  }

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
    this.stopSignal.abort(new Error(`delivery to the ${this.wording.destination} shut down`));
    if (this.pending.length > 0) {
      this.counters.dropped += this.pending.length;
      diag.warn(`decision-trace: ${this.pending.length} queued ${this.wording.items} not delivered before shutdown`);
      this.pending = [];
    }
    this.clearTimers();
    this.losses.closeAtShutdown();
    try {
      // A sink gets at least a moment to close, even when delivery used up the whole deadline.
      await withTimeout(
        Promise.resolve().then(() => this.sink.shutdown?.()),
        Math.max(100, this.deadline - Date.now()),
      );
    } catch (error) {
      diag.warn(`decision-trace: ${this.wording.destination} shutdown failed`, error);
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
    const events = await this.convertInSlices(batch);
    if (events.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(events);
      if (failure === undefined) {
        this.counters.exportedEvents += events.length;
        this.losses.delivered();
        return;
      }
      const retryable = isRetryable(failure);
      const delay = retryable ? retryDelayMillis(attempt, this.options.retry, retryAfterOf(failure)) : 0;
      const giveUp = !retryable || attempt >= this.options.retry.maxAttempts || this.stopSignal.signal.aborted || Date.now() + delay >= this.deadline;
      if (giveUp) {
        this.counters.failedEvents += events.length;
        // Once per outage with its count (a store package missing, a backend down).
        this.losses.lose(events.length, attempt, failure);
        return;
      }
      this.counters.retries++;
      await sleep(delay, this.stopSignal.signal);
    }
  }

  /** A slice that fails to convert is dropped (and counted); the others go on. */
  private async convertInSlices(batch: Item[]): Promise<Output[]> {
    const sliceSize = this.options.conversionSliceSize ?? batch.length;
    let outputs: Output[] = [];
    for (let start = 0; start < batch.length; start += sliceSize) {
      if (start > 0) await nextTurn();
      const slice = sliceSize >= batch.length ? batch : batch.slice(start, start + sliceSize);
      try {
        const converted = this.convert(slice);
        if (start === 0) outputs = converted;
        else for (let i = 0; i < converted.length; i++) outputs.push(converted[i]);
      } catch (error) {
        this.counters.dropped += slice.length;
        diag.error(`decision-trace: converting ${this.wording.items} to ${this.wording.outputs} failed`, error);
      }
    }
    return outputs;
  }

  /** One sink call; resolves to undefined on success or to what went wrong. Never rejects. */
  private async attempt(events: Output[]): Promise<unknown> {
    const controller = new AbortController();
    let abandon!: (reason: unknown) => void;
    const abandoned = new Promise<unknown>((resolve) => {
      abandon = (reason) => {
        controller.abort(reason);
        resolve(reason);
      };
    });
    const timer = setTimeout(() => {
      abandon(new Error(`${this.wording.destination} did not answer within ${this.options.exportTimeoutMillis} ms`));
    }, this.options.exportTimeoutMillis);
    timer.unref();
    const abandonOnStop = () => abandon(this.stopSignal.signal.reason);
    this.stopSignal.signal.addEventListener('abort', abandonOnStop, { once: true });
    const call = Promise.resolve()
      .then(() => withTracingSuppressed(() => this.sink.export(events, { signal: controller.signal })))
      .then(
        () => undefined,
        (error: unknown) => error ?? new Error(`${this.wording.destination} rejected without a reason`),
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
      `decision-trace: ${this.wording.destination} queue ${this.stopped ? 'is shut down' : `is full (${this.options.maxQueueSize})`}; ` +
        `${this.counters.dropped} ${this.wording.items} dropped so far`,
    );
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A failure is retryable unless it says otherwise (`DecisionSinkError` and `SpanExportError` do). */
function isRetryable(failure: unknown): boolean {
  if (typeof failure !== 'object' || failure === null) return true;
  const retryable = (failure as { retryable?: unknown }).retryable;
  return typeof retryable === 'boolean' ? retryable : true;
}

function retryAfterOf(failure: unknown): number | undefined {
  if (typeof failure !== 'object' || failure === null) return undefined;
  const retryAfter = (failure as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof retryAfter === 'number' ? retryAfter : undefined;
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
