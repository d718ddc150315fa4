import type { Attributes, Context } from '@opentelemetry/api';
import {
  ATTR_DECISION_PARENT_ID,
  ATTR_DECISION_TYPE,
  ATTR_DT_DECISION_ID,
  ATTR_DT_PARENT_DECISION_ID,
  extractDecisionEvents,
  LineageIndex,
  LruMap,
  type DecisionEvent,
  type LineageIndexOptions,
  type Span as ModelSpan,
} from '@decision-trace/model';
import { registerUnsampledDecisionRecorder, unregisterUnsampledDecisionRecorder, type UnsampledDecisionRecorder } from '../decision/unsampled-recorders.js';
import type { InstrumentationScopeLike, ReadableSpanLike, ResourceLike, SpanProcessorLike } from '../otel-span-like.js';
import type { DecisionSink } from '../sinks/decision-sink.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import { DeliveryQueue, type DeliveryStats } from './delivery-queue.js';
import { nonNegative, positive } from './option-values.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { ResourceSpansBuilder, spanScope, toModelSpan } from './span-adapter.js';

export interface DecisionSpanProcessorOptions {
  /** Where decision events go. */
  sink: DecisionSink;
  /** Decision spans waiting for delivery; more are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Decision spans per sink call. Default 512. */
  maxExportBatchSize?: number;
  /** How long a decision may wait for others before a batch leaves. Default 1000 ms. */
  scheduledDelayMillis?: number;
  /** One sink call may take this long before it counts as failed. Default 10000 ms. */
  exportTimeoutMillis?: number;
  /** How long `shutdown` keeps delivering what is queued. Default 10000 ms. */
  shutdownTimeoutMillis?: number;
  retry?: Partial<RetryPolicy>;
  /** Records every decision under this tenant, whatever the spans say (like an authenticated tenant). */
  tenant?: string;
  /**
   * Resource attributes for decisions whose span was not recorded (such spans carry no resource).
   * By default the resource of the spans this processor has seen, else `OTEL_SERVICE_NAME`.
   */
  resource?: Attributes;
  /**
   * Lineage across spans: the parent of a decision span made without an explicit parent id is
   * the nearest decision among its ancestors, found through the (non-decision) spans between
   * them. For that the processor remembers the ancestors of such decision spans as they end
   * (bounded as given); `false` turns it off (decisions made with `decision()` carry their
   * parent id and do not need it).
   */
  lineage?: false | LineageIndexOptions;
  /**
   * Register as a recipient of decisions whose span is not recorded (the head sampler dropped
   * the trace). Default true; the top-level `decision()` delivers them to every registered one.
   */
  receiveUnsampledDecisions?: boolean;
}

/**
 * Decision spans converted per turn of the event loop: about a millisecond of work, so a full
 * batch (512) never holds the application's requests up for the ten or more it takes at once.
 */
const CONVERSION_SLICE_SIZE = 64;
const DEFAULT_LINEAGE: LineageIndexOptions = { maxTraces: 512, maxSpansPerTrace: 256 };
/** Ancestor spans waited for at once; beyond it the oldest wishes are forgotten. */
const MAX_WANTED_ANCESTORS = 16_384;
const SDK_SCOPE: InstrumentationScopeLike = { name: SDK_NAME, version: SDK_VERSION };

/** A decision whose span was not recorded, built by the decision API. */
class UnsampledDecision {
  constructor(readonly span: ModelSpan) {}
}

type QueueItem = ReadableSpanLike | UnsampledDecision;

/**
 * An OpenTelemetry `SpanProcessor` that turns spans carrying decisions (`decision.*` attributes,
 * `decision` span events, the `dt.*` projection) into decision events with the collector's own
 * conversion (`extractDecisionEvents`) and delivers them to a decision sink. Every span is
 * still handed, untouched, to the processors beside it; this one only looks.
 *
 * `onEnd` costs a few property reads for a span without decisions, and an array push for one
 * with; conversion and delivery happen later, in batches, with retries. Memory is bounded: at
 * most `maxQueueSize` decision spans wait (more are dropped and counted in `stats`); lineage
 * keeps only the ancestors of decision spans, bounded, forgetting the oldest first.
 */
export class DecisionSpanProcessor implements SpanProcessorLike, UnsampledDecisionRecorder {
  private readonly queue: DeliveryQueue<QueueItem>;
  private readonly lineage: LineageIndex | undefined;
  /**
   * Span ids of not-yet-ended ancestors of decision spans that need lineage. Children end
   * before their parents, so when a decision span ends its parent is wanted, and when a wanted
   * span ends it is remembered and its own parent wanted in turn, up to the root. Every other
   * span costs one size check: spans away from decisions are never remembered.
   */
  private readonly wantedAncestors = new LruMap<string, true>();
  private readonly tenant: string | undefined;
  private readonly shutdownTimeoutMillis: number;
  private readonly configuredResource: ResourceLike | undefined;
  private lastResource: ResourceLike | undefined;
  private readonly receivesUnsampled: boolean;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: DecisionSpanProcessorOptions) {
    this.queue = new DeliveryQueue<QueueItem>(options.sink, (items) => this.convert(items), {
      maxQueueSize: positive(options.maxQueueSize, 2048),
      maxExportBatchSize: positive(options.maxExportBatchSize, 512),
      scheduledDelayMillis: nonNegative(options.scheduledDelayMillis, 1000),
      exportTimeoutMillis: positive(options.exportTimeoutMillis, 10_000),
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      conversionSliceSize: CONVERSION_SLICE_SIZE,
    });
    this.shutdownTimeoutMillis = nonNegative(options.shutdownTimeoutMillis, 10_000);
    this.tenant = options.tenant;
    this.lineage = options.lineage === false ? undefined : new LineageIndex(options.lineage ?? DEFAULT_LINEAGE);
    this.configuredResource = options.resource === undefined ? undefined : { attributes: options.resource };
    this.receivesUnsampled = options.receiveUnsampledDecisions !== false;
    if (this.receivesUnsampled) registerUnsampledDecisionRecorder(this);
  }

  /** Queue and delivery counters. */
  get stats(): DeliveryStats {
    return this.queue.stats;
  }

  onStart(_span: unknown, _parentContext: Context): void {}

  onEnd(span: ReadableSpanLike): void {
    this.lastResource = span.resource;
    if (carriesDecision(span)) {
      this.queue.offer(span);
      // Extraction remembers the decision span itself; its ancestors are wanted if it needs them.
      if (this.lineage !== undefined && !hasExplicitParent(span)) this.wantParentOf(span, span.spanContext().spanId);
      return;
    }
    if (this.wantedAncestors.size === 0) return;
    const spanContext = span.spanContext();
    if (this.wantedAncestors.delete(spanContext.spanId)) {
      this.lineage!.recordSpan(spanContext.traceId, spanContext.spanId, parentSpanIdOf(span), null);
      this.wantParentOf(span, spanContext.spanId);
    }
  }

  recordUnsampledDecision(span: ModelSpan): void {
    this.queue.offer(new UnsampledDecision(span));
  }

  forceFlush(): Promise<void> {
    return this.queue.flush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.stop();
    return this.shutdownPromise;
  }

  private async stop(): Promise<void> {
    if (this.receivesUnsampled) unregisterUnsampledDecisionRecorder(this);
    await this.queue.shutdown(this.shutdownTimeoutMillis);
  }

  private wantParentOf(span: ReadableSpanLike, spanId: string): void {
    this.wantedAncestors.delete(spanId);
    const parentSpanId = parentSpanIdOf(span);
    if (parentSpanId === '') return;
    // Already wanted: it keeps its place (`set` would make it the most recent).
    if (this.wantedAncestors.has(parentSpanId)) return;
    // The oldest found in O(1): a Map's first key is found by walking the slots its deletions left.
    if (this.wantedAncestors.size >= MAX_WANTED_ANCESTORS) this.wantedAncestors.deleteOldest();
    this.wantedAncestors.set(parentSpanId, true);
  }

  private convert(items: QueueItem[]): DecisionEvent[] {
    const builder = new ResourceSpansBuilder();
    for (const item of items) {
      if (item instanceof UnsampledDecision) {
        const resource = this.unsampledResource();
        builder.add(resource, resource.attributes, SDK_SCOPE, item.span);
      } else {
        builder.add(item.resource, item.resource.attributes, spanScope(item), toModelSpan(item));
      }
    }
    return extractDecisionEvents(builder.build(), { tenant: this.tenant, lineage: this.lineage });
  }

  private unsampledResource(): ResourceLike {
    return this.configuredResource ?? this.lastResource ?? environmentResource();
  }
}

function parentSpanIdOf(span: ReadableSpanLike): string {
  return span.parentSpanContext?.spanId ?? span.parentSpanId ?? '';
}

/** A decision that names its parent needs no lineage (all of `decision()`'s nested decisions). */
function hasExplicitParent(span: ReadableSpanLike): boolean {
  const attributes = span.attributes;
  return attributes[ATTR_DT_PARENT_DECISION_ID] !== undefined || attributes[ATTR_DECISION_PARENT_ID] !== undefined;
}

/** Cheap on purpose: it runs for every span the application ends. */
function carriesDecision(span: ReadableSpanLike): boolean {
  const attributes = span.attributes;
  if (attributes[ATTR_DT_DECISION_ID] !== undefined) return true;
  const decisionType = attributes[ATTR_DECISION_TYPE];
  if (decisionType !== undefined && decisionType !== '') return true;
  const events = span.events;
  for (let i = 0; i < events.length; i++) if (events[i].name === 'decision') return true;
  return false;
}

let cachedEnvironmentResource: ResourceLike | undefined;

function environmentResource(): ResourceLike {
  if (cachedEnvironmentResource === undefined) {
    const serviceName = process.env.OTEL_SERVICE_NAME;
    cachedEnvironmentResource = { attributes: serviceName ? { 'service.name': serviceName } : {} };
  }
  return cachedEnvironmentResource;
}
