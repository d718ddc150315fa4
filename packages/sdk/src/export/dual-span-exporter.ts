import { diag } from '@opentelemetry/api';
import type { ExportResultLike, ReadableSpanLike, SpanExporterLike } from '../otel-span-like.js';
import type { Span as ModelSpan } from '@decision-trace/model';
import type { UnsampledDecisionRecorder } from '../decision/unsampled-recorders.js';
import type { DecisionSink } from '../sinks/decision-sink.js';
import { DecisionSpanProcessor, type DecisionSpanProcessorOptions } from './decision-span-processor.js';
import { DeliveryQueue, type DeliveryStats, type DeliveryWording } from './delivery-queue.js';
import { nonNegative, positive } from './option-values.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { SpanExporterDestination } from './span-exporter-destination.js';

export interface SpanQueueOptions {
  /** Spans waiting for the span exporter; more are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Spans per call of the span exporter. Default 512. */
  maxExportBatchSize?: number;
  /** How long spans wait for others before a batch leaves. Default 0: the SDK's processor already batched them. */
  scheduledDelayMillis?: number;
  /** One export call may take this long before it counts as failed. Default 30000 ms. */
  exportTimeoutMillis?: number;
  /** How long `shutdown` keeps delivering queued spans. Default 10000 ms. */
  shutdownTimeoutMillis?: number;
  /** Retries of failed exports (retryable failures only). Default as for decisions. */
  retry?: Partial<RetryPolicy>;
}

export interface DualSpanExporterOptions {
  /**
   * Where every span goes: the application's OTLP exporter (`OTLPTraceExporter` from
   * `@opentelemetry/exporter-trace-otlp-http`, `-proto` or `-grpc`) or any other `SpanExporter`.
   * It is shut down with this exporter.
   */
  spanExporter: SpanExporterLike;
  /** Where decisions go: a Decision Trace backend (`HttpDecisionSink`), the embedded store… */
  decisionSink: DecisionSink;
  /** The span side's queue and retries. */
  spans?: SpanQueueOptions;
  /** The decision side: the `DecisionSpanProcessor` options (queue, retries, tenant, lineage…). */
  decisions?: Omit<DecisionSpanProcessorOptions, 'sink'>;
}

export interface SpanDeliveryStats {
  /** Spans waiting now. */
  queued: number;
  /** Spans refused because the queue was full or shut down, or still queued at shutdown's deadline. */
  dropped: number;
  exportedSpans: number;
  /** Spans given up on: a permanent error, attempts exhausted, or shutdown's deadline. */
  failedSpans: number;
  /** Export calls repeated after a retryable failure. */
  retries: number;
}

export interface DualSpanExporterStats {
  spans: SpanDeliveryStats;
  decisions: DeliveryStats;
}

const SPAN_WORDING: DeliveryWording = { items: 'spans', outputs: 'spans', destination: 'span exporter' };
const SUCCESS: ExportResultLike = Object.freeze({ code: 0 });
const FAILED = 1;

/**
 * An OpenTelemetry `SpanExporter` with two destinations: every span to the application's own
 * exporter (its OpenTelemetry Collector, Jaeger, Tempo…), and the decisions among them —
 * converted by `DecisionSpanProcessor`, with the collector's own conversion — to a decision
 * sink. Each side has its own bounded queue, its own retries and its own delivery loop, so one
 * destination being slow or down never delays the other, and `export()` calls back as soon as
 * both queues hold the batch: the span processor in front never waits on a network.
 *
 * Decisions whose trace the head sampler dropped never reach an exporter; `decision()` hands
 * them to this one directly (it registers itself, as `DecisionSpanProcessor` does, unless
 * `decisions.receiveUnsampledDecisions` is false).
 *
 * `forceFlush()` and `shutdown()` deliver what both queues hold. (The SDK's
 * `BatchSpanProcessor` shuts its exporter down with it, but does not flush it on
 * `forceFlush()`: call this exporter's `forceFlush()` after the provider's for that.)
 */
export class DualSpanExporter implements SpanExporterLike, UnsampledDecisionRecorder {
  private readonly destination: SpanExporterDestination;
  private readonly spanQueue: DeliveryQueue<ReadableSpanLike, ReadableSpanLike>;
  private readonly decisions: DecisionSpanProcessor;
  private readonly spanShutdownTimeoutMillis: number;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: DualSpanExporterOptions) {
    const spans = options.spans ?? {};
    this.destination = new SpanExporterDestination(options.spanExporter);
    this.spanQueue = new DeliveryQueue<ReadableSpanLike, ReadableSpanLike>(this.destination, sameSpans, {
      maxQueueSize: positive(spans.maxQueueSize, 2048),
      maxExportBatchSize: positive(spans.maxExportBatchSize, 512),
      scheduledDelayMillis: nonNegative(spans.scheduledDelayMillis, 0),
      exportTimeoutMillis: positive(spans.exportTimeoutMillis, 30_000),
      retry: { ...DEFAULT_RETRY_POLICY, ...spans.retry },
      wording: SPAN_WORDING,
    });
    this.spanShutdownTimeoutMillis = nonNegative(spans.shutdownTimeoutMillis, 10_000);
    this.decisions = new DecisionSpanProcessor({ ...options.decisions, sink: options.decisionSink });
  }

  get stats(): DualSpanExporterStats {
    const { queued, dropped, exportedEvents, failedEvents, retries } = this.spanQueue.stats;
    return {
      spans: { queued, dropped, exportedSpans: exportedEvents, failedSpans: failedEvents, retries },
      decisions: this.decisions.stats,
    };
  }

  /**
   * Queues the batch on both sides and calls back at once: SUCCESS when the span queue took
   * every span, FAILED (with the count) when it was full — the decisions of the batch are
   * queued either way.
   */
  export(spans: ReadableSpanLike[], resultCallback: (result: ExportResultLike) => void): void {
    if (this.shutdownPromise !== undefined) {
      resultCallback({ code: FAILED, error: new Error('DualSpanExporter is shut down') });
      return;
    }
    for (let i = 0; i < spans.length; i++) {
      try {
        this.decisions.onEnd(spans[i]);
      } catch (error) {
        diag.error('decision-trace: reading a span for decisions failed', error);
      }
    }
    let dropped = 0;
    for (let i = 0; i < spans.length; i++) if (!this.spanQueue.offer(spans[i])) dropped++;
    resultCallback(
      dropped === 0 ? SUCCESS : { code: FAILED, error: new Error(`DualSpanExporter: span queue full, ${dropped} of ${spans.length} spans dropped`) },
    );
  }

  recordUnsampledDecision(span: ModelSpan): void {
    this.decisions.recordUnsampledDecision(span);
  }

  /** Resolves when everything exported before the call has been delivered (or given up on) on both sides. */
  async forceFlush(): Promise<void> {
    await Promise.all([this.flushSpans(), this.decisions.forceFlush()]);
  }

  /** Delivers what both queues hold (each within its shutdown timeout), then shuts the span exporter and the sink down. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= Promise.all([this.spanQueue.shutdown(this.spanShutdownTimeoutMillis), this.decisions.shutdown()]).then(() => undefined);
    return this.shutdownPromise;
  }

  private async flushSpans(): Promise<void> {
    await this.spanQueue.flush();
    try {
      await this.destination.forceFlush();
    } catch (error) {
      diag.warn('decision-trace: the span exporter failed to flush', error);
    }
  }
}

function sameSpans(spans: ReadableSpanLike[]): ReadableSpanLike[] {
  return spans;
}
