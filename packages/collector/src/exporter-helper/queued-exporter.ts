import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Component, Host, ShutdownContext, TraceBatch } from '../component/component.js';
import { PipelineError } from '../component/pipeline-error.js';
import { atSetting } from '../component/start-error.js';
import type { RetryConfig, SendingQueueConfig } from './config.js';
import { deliverWithRetry, realClock, type DeliveryClock, type DeliveryResult } from './deliver.js';
import type { ExportRequest, RequestSender } from './export-request.js';
import { exporterMetrics, journalLossCounters, registerQueueGauges, type ExporterMetrics, type ExportUnit } from './exporter-metrics.js';
import { FileQueueJournal } from './file-journal.js';
import { QueueClosedError, QueueFullError, SendingQueue, type MergeBound, type QueueEntry } from './sending-queue.js';

export interface QueuedExporterOptions<B = TraceBatch> {
  /** The exporter's id as configured (`otlphttp/backend`). */
  id: string;
  /** The YAML path of the keys `sending_queue` and `retry_on_failure` sit under; default `exporters.<id>`. */
  settingPath?: string;
  logger: Logger;
  host: Host;
  unit: ExportUnit;
  queue: SendingQueueConfig;
  retry: RetryConfig;
  /** Per send attempt. */
  timeoutMs: number;
  /** The request this exporter sends for a batch, or undefined when it has nothing to send. */
  encode(batch: B): ExportRequest | undefined;
  /** Items in a batch refused before it was encoded; spans or decision events of a TraceBatch when absent. */
  itemsOf?(batch: B): number;
  /**
   * Set for the metrics instance of an exporter that also exports traces: its queue gauges carry
   * `data_type="metrics"` and its persistent queue has a folder of its own.
   */
  dataType?: 'metrics' | 'logs';
  sender: RequestSender;
  /**
   * The bodies are OTLP Export*ServiceRequest protobuf (`repeated … = 1`): two concatenated are
   * one request holding both, so waiting requests may be merged (`sending_queue.merge`).
   */
  concatenable?: boolean;
  clock?: DeliveryClock;
  random?: () => number;
}

const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * The exporterhelper of this collector: `consumeTraces` encodes a batch and puts it in the
 * sending queue (journaled to disk when `sending_queue.storage` is set), and resolves once it
 * is there: that is when the client is acknowledged. `num_consumers` workers take requests and
 * deliver them with retries. A full queue refuses with a retryable PipelineError, so the
 * receiver answers 503 + Retry-After instead of dropping anything silently. Without a queue,
 * `consumeTraces` delivers (with retries) before resolving.
 */
export class QueuedExporter<B = TraceBatch> implements Component {
  private readonly metrics: ExporterMetrics;
  private readonly statusId: string;
  private readonly clock: DeliveryClock;
  private readonly stop = new AbortController();
  private queue?: SendingQueue;
  private consumers: Promise<void>[] = [];
  /** Requests being sent; a merged one is the queued requests it holds. */
  private readonly inFlight = new Set<readonly QueueEntry[]>();
  /** Set when waiting requests are merged into one send. */
  private readonly mergeBound?: MergeBound;
  /** Aborted by shutdown mid-delivery: a memory queue loses them, a journal keeps them. */
  private readonly interrupted: QueueEntry[] = [];
  private stopping = false;
  private lastRetryWaitMs = 0;
  /** Failed attempts since the last success: an outage is logged once when it starts and once when it ends. */
  private failedAttempts = 0;

  constructor(private readonly options: QueuedExporterOptions<B>) {
    this.metrics = exporterMetrics(options.host.metrics, options.id, options.unit);
    // The metrics instance of an exporter reports its health apart from the traces instance.
    this.statusId = `exporters.${options.id}${options.dataType ? ` (${options.dataType})` : ''}`;
    this.clock = options.clock ?? realClock;
    const merge = options.queue.merge;
    if (options.concatenable && merge.enabled) this.mergeBound = { maxItems: merge.max_items, maxBytes: merge.max_bytes };
  }

  async start(): Promise<void> {
    const { queue: config, logger, host, id } = this.options;
    await this.options.sender.start?.();
    if (!config.enabled) return;
    const folder = queueDirectoryName(id) + (this.options.dataType ? `~${this.options.dataType}` : '');
    const journal = config.storage ? new FileQueueJournal(join(config.storage, folder), logger) : undefined;
    const queue = new SendingQueue(config.queue_size, config.sizer, journal, this.mergeBound !== undefined);
    const storageKey = `${this.options.settingPath ?? `exporters.${id}`}.sending_queue.storage`;
    const { recovered, lost } = await atSetting(storageKey, () => queue.open());
    if (recovered > 0) logger.info({ requests: recovered, storage: config.storage }, 'sending queue: resuming requests kept from the previous run');
    // The journal logged where and what; the counters make it visible to alerting.
    if (journal) {
      const losses = journalLossCounters(host.metrics, id, this.options.dataType ? { data_type: this.options.dataType } : {});
      losses.requests.add(lost.requests);
      losses.bytes.add(lost.bytes);
    }
    this.queue = queue;
    registerQueueGauges(host.metrics, id, this.options.dataType ? { data_type: this.options.dataType } : {}, {
      size: () => queue.size,
      capacity: () => queue.capacity,
      inFlight: () => this.inFlight.size,
    });
    for (let i = 0; i < config.num_consumers; i++) this.consumers.push(this.consumeQueue(queue));
  }

  consumeTraces(batch: B): Promise<void> {
    return this.consume(batch);
  }

  consumeMetrics(batch: B): Promise<void> {
    return this.consume(batch);
  }

  consumeLogs(batch: B): Promise<void> {
    return this.consume(batch);
  }

  private async consume(batch: B): Promise<void> {
    if (this.stopping) throw new PipelineError(`exporter ${this.options.id} is shutting down`, { retryable: true, retryAfterSeconds: 1 });
    const queue = this.queue;
    if (queue?.isFull && !this.options.queue.block_on_overflow && !this.options.queue.drop_context_on_overflow) {
      // Refused anyway: spare the encoding, which would only add load to an overloaded process.
      const items = this.options.itemsOf ? this.options.itemsOf(batch) : traceItems(batch as TraceBatch, this.options.unit);
      if (items === 0) return;
      throw this.refusal(items, new QueueFullError(`sending queue is full (${queue.size} of ${queue.capacity})`));
    }
    const request = this.options.encode(batch);
    if (!request) return;
    if (!queue) return this.sendNow(request);

    let result;
    try {
      result = await queue.offer(request, {
        block: this.options.queue.block_on_overflow,
        dropContext: this.options.queue.drop_context_on_overflow,
      });
    } catch (error) {
      throw this.refusal(request.items, error);
    }
    if (!result.queued) {
      this.metrics.dropped.add(request.items);
      this.options.logger.warn({ items: request.items }, 'sending queue is full: dropped a request of context spans (drop_context_on_overflow)');
      return;
    }
    this.metrics.accepted.add(request.items);
    for (const victim of result.evicted) {
      this.metrics.dropped.add(victim.request.items);
      this.options.logger.warn({ items: victim.request.items }, 'sending queue is full: evicted queued context spans to make room for decision data');
    }
  }

  async shutdown(context?: ShutdownContext): Promise<void> {
    this.stopping = true;
    const { logger } = this.options;
    const queue = this.queue;
    if (queue) {
      const deadline = context?.deadline ?? Date.now();
      while ((queue.waitingRequests > 0 || this.inFlight.size > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      queue.close();
    }
    this.stop.abort();
    await Promise.all(this.consumers);
    if (queue) {
      const left = [...this.interrupted, ...queue.drainWaiting()];
      const items = left.reduce((sum, entry) => sum + entry.request.items, 0);
      if (left.length > 0 && this.options.queue.storage) {
        logger.info({ requests: left.length, items }, 'sending queue: undelivered requests stay in the persistent queue for the next start');
      } else if (left.length > 0) {
        this.metrics.dropped.add(items);
        logger.error({ requests: left.length, items }, 'sending queue: shutdown_timeout reached; undelivered requests of the in-memory queue are lost');
      }
      await queue.closeJournal();
    }
    await this.options.sender.close?.();
    this.options.host.status.forget(this.statusId);
  }

  private async consumeQueue(queue: SendingQueue): Promise<void> {
    for (;;) {
      const first = await queue.take();
      if (!first) return;
      const taken = this.mergeBound ? [first, ...queue.takeFollowers(first, this.mergeBound)] : [first];
      this.inFlight.add(taken);
      const { entries, body } = await this.readBodies(queue, taken);
      if (entries.length === 0) {
        this.inFlight.delete(taken);
        continue;
      }
      const request = entries.length === 1 ? { ...entries[0].request, body } : mergedRequest(entries, body);
      const result = await this.deliver(request);
      this.inFlight.delete(taken);
      // A merged request is one send: every request in it shares its fate, and (with storage)
      // each is acknowledged in the journal only once the merged send is over.
      if (result.status === 'aborted') {
        this.interrupted.push(...entries);
        continue;
      }
      for (const entry of entries) queue.done(entry);
    }
  }

  /** The bodies of the requests taken, concatenated; a request the journal cannot read back is dropped. */
  private async readBodies(queue: SendingQueue, taken: readonly QueueEntry[]): Promise<{ entries: QueueEntry[]; body: Uint8Array }> {
    const entries: QueueEntry[] = [];
    const bodies: Uint8Array[] = [];
    for (const entry of taken) {
      try {
        bodies.push(entry.bodyOnDisk ? await queue.bodyOf(entry) : entry.request.body);
        entries.push(entry);
      } catch (error) {
        // The journal lost this request (a damaged disk): nothing left to send.
        this.metrics.sendFailed.add(entry.request.items);
        this.options.logger.error({ err: error, items: entry.request.items }, 'sending queue: cannot read a queued request back; dropping it');
        queue.done(entry);
      }
    }
    return { entries, body: bodies.length === 1 ? bodies[0] : Buffer.concat(bodies) };
  }

  private async sendNow(request: ExportRequest): Promise<void> {
    this.metrics.accepted.add(request.items);
    const result = await this.deliver(request);
    if (result.status === 'sent') return;
    if (result.status === 'aborted') {
      throw new PipelineError(`exporter ${this.options.id} is shutting down`, { retryable: true, retryAfterSeconds: 1 });
    }
    throw new PipelineError(`exporter ${this.options.id} could not deliver: ${describe(result.error)}`, {
      retryable: !result.permanent,
      retryAfterSeconds: this.retryAfterSeconds(),
      cause: result.error,
    });
  }

  /** Delivers one request and accounts for the result in metrics, status and logs. */
  private async deliver(request: ExportRequest): Promise<DeliveryResult> {
    const { logger, host, id } = this.options;
    const result = await deliverWithRetry(request.body, {
      sender: this.options.sender,
      retry: this.options.retry,
      timeoutMs: this.options.timeoutMs,
      signal: this.stop.signal,
      clock: this.clock,
      random: this.options.random,
      onAttemptFailed: (error, attempt, retryInMs) => {
        host.status.reportFailure(this.statusId, describe(error));
        this.failedAttempts += 1;
        if (retryInMs === undefined) return;
        this.metrics.retries.add();
        this.lastRetryWaitMs = retryInMs;
        const fields = { err: error, attempt, retryInMs: Math.round(retryInMs), items: request.items };
        if (this.failedAttempts === 1) logger.warn(fields, 'export failed; retrying (further failures are logged at debug level until it works again)');
        else logger.debug(fields, 'export failed; will retry');
      },
    });
    if (result.status === 'sent') {
      const rejected = Math.min(result.outcome?.rejectedItems ?? 0, request.items);
      this.metrics.sent.add(request.items - rejected);
      if (rejected > 0) {
        this.metrics.sendFailed.add(rejected);
        logger.warn({ rejected, message: result.outcome?.message }, `the destination rejected some of the ${this.options.unit.replace('_', ' ')}`);
      }
      this.lastRetryWaitMs = 0;
      if (this.failedAttempts > 0) logger.info({ failedAttempts: this.failedAttempts }, 'export works again');
      this.failedAttempts = 0;
      host.status.reportSuccess(this.statusId);
    } else if (result.status === 'failed') {
      this.metrics.sendFailed.add(request.items);
      logger.error(
        { err: result.error, items: request.items, attempts: result.attempts, exporter: id },
        result.permanent ? 'export failed permanently; dropping the request' : 'export failed; no retries left, dropping the request',
      );
    }
    return result;
  }

  private refusal(items: number, error: unknown): PipelineError {
    if (error instanceof QueueClosedError) {
      return new PipelineError(`exporter ${this.options.id} is shutting down`, { retryable: true, retryAfterSeconds: 1 });
    }
    this.metrics.enqueueFailed.add(items);
    if (error instanceof QueueFullError) {
      this.options.host.status.reportFailure(this.statusId, error.message);
      return new PipelineError(`exporter ${this.options.id}: ${error.message}`, {
        retryable: !error.permanent,
        retryAfterSeconds: this.retryAfterSeconds(),
      });
    }
    this.options.logger.error({ err: error }, 'sending queue: cannot store the request');
    return new PipelineError(`exporter ${this.options.id}: cannot store the request: ${describe(error)}`, {
      retryable: true,
      retryAfterSeconds: 1,
      cause: error,
    });
  }

  /** What to tell a refused client: about as long as this exporter is itself waiting to retry. */
  private retryAfterSeconds(): number {
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(this.lastRetryWaitMs / 1000)));
  }
}

/** One request holding all of `entries`: its body is their bodies concatenated (protobuf `repeated` fields merge so). */
function mergedRequest(entries: readonly QueueEntry[], body: Uint8Array): ExportRequest {
  let items = 0;
  let carriesDecisions = false;
  for (const { request } of entries) {
    items += request.items;
    carriesDecisions ||= request.carriesDecisions;
  }
  return { body, items, carriesDecisions };
}

function traceItems(batch: TraceBatch, unit: ExportUnit): number {
  return unit === 'spans' ? batch.spanCount : batch.decisions.length;
}

/** One folder per exporter under the storage directory; `~` cannot appear in a component id. */
export function queueDirectoryName(exporterId: string): string {
  return exporterId.replace('/', '~');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
