import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import {
  classifySpanKind,
  extractDecisionEvents,
  isNoteWrittenHere,
  LineageIndex,
  readTokenCounts,
  rollUpTokenUsage,
  type ReadonlyDecisionEvent,
  type DecisionRecord,
  type RollupSpan,
} from '@decision-trace/model';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import type { MetricsConsumer, TraceBatch, TracesToMetricsConnector } from '../../component/component.js';
import { seriesKey, type ExemplarIndex } from '../../component/metric-exemplars.js';
import { countDataPoints } from '../../exporter-helper/metrics-encoding.js';
import { CardinalityLimit } from './cardinality-limit.js';
import type { DecisionMetricsConnectorConfig } from './config.js';
import { DecisionTracker } from '../../shared/decision-tracker.js';
import { DimensionSet } from './dimensions.js';

/** The resource of the metrics: who computed them (the decisions' own services are a dimension). */
const RESOURCE_ATTRIBUTES = { 'service.name': 'decision-trace-collector' };
const SCOPE_NAME = 'decision-trace/decision_metrics';

/** Collected when the connector asks: the SDK aggregates, the connector decides when to flush. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

interface LimitedCounter {
  name: string;
  instrument: Counter;
  limit: CardinalityLimit;
}

interface LimitedHistogram {
  name: string;
  instrument: Histogram;
  limit: CardinalityLimit;
}

/**
 * Traces in, metrics out: decisions counted by their dimensions, with their confidence and
 * latency as histograms, their policy checks, the evaluations that agree or not with their
 * outcome, and the tokens their model calls cost. The OpenTelemetry JS SDK aggregates (sums,
 * explicit-bucket histograms, cumulative or delta); every `metrics_flush_interval` what it holds
 * goes to the metrics pipelines the connector feeds.
 */
export class DecisionMetricsConnector implements TracesToMetricsConnector {
  private readonly reader: OnDemandReader;
  private readonly provider: MeterProvider;
  private readonly tracker: DecisionTracker;
  private readonly lineage = new LineageIndex();
  private readonly dimensions: DimensionSet;
  /** Tokens may be attributed before the outcome is known: their series never carry it. */
  private readonly tokenDimensions: DimensionSet;
  private readonly delta: boolean;
  private readonly decisions: LimitedCounter;
  private readonly confidence: LimitedHistogram;
  private readonly latency: LimitedHistogram;
  private readonly policyChecks: LimitedCounter;
  private readonly evaluations: LimitedCounter;
  private readonly tokens: LimitedCounter;
  /** Measurements of this flush interval kept as exemplars (when enabled). */
  private exemplars: ExemplarIndex = new Map();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly id: string,
    private readonly config: DecisionMetricsConnectorConfig,
    private readonly logger: Logger,
    private readonly next: MetricsConsumer,
    /** False when every pipeline feeding the connector has a decision processor. */
    private readonly options: { extractItself: boolean } = { extractItself: true },
  ) {
    this.delta = config.aggregation_temporality === 'AGGREGATION_TEMPORALITY_DELTA';
    const temporality = this.delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    // The SDK's own per-collection limit would let a cumulative metric grow past the configured
    // limit over several flushes; CardinalityLimit keeps it instead.
    this.reader = new OnDemandReader({ aggregationTemporalitySelector: () => temporality, cardinalitySelector: () => Infinity });
    this.provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE_ATTRIBUTES), readers: [this.reader] });
    this.tracker = new DecisionTracker(config.max_tracked_decisions);
    this.dimensions = new DimensionSet(config);
    this.tokenDimensions = new DimensionSet(config, ['decision.outcome']);

    const meter = this.provider.getMeter(SCOPE_NAME);
    const name = (suffix: string) => `${config.namespace}.${suffix}`;
    const limited = <T>(instrument: T, metric: string) => ({ name: metric, instrument, limit: new CardinalityLimit(config.aggregation_cardinality_limit) });
    this.decisions = limited(
      meter.createCounter(name('count'), { unit: '{decision}', description: 'Decisions that reached an outcome or an error.' }),
      name('count'),
    );
    this.confidence = limited(
      meter.createHistogram(name('confidence'), {
        unit: '1',
        description: 'Confidence of the decisions that state one (0..1).',
        advice: { explicitBucketBoundaries: config.histogram.confidence.buckets },
      }),
      name('confidence'),
    );
    this.latency = limited(
      meter.createHistogram(name('duration'), {
        unit: 'ms',
        description: 'How long the decisions took, from their start to their end.',
        advice: { explicitBucketBoundaries: config.histogram.latency.buckets },
      }),
      name('duration'),
    );
    this.policyChecks = limited(
      meter.createCounter(name('policy_checks'), {
        unit: '{check}',
        description: 'Policy checks of the decisions, by policy and result (the last result of each policy).',
      }),
      name('policy_checks'),
    );
    this.evaluations = limited(
      meter.createCounter(name('evaluations'), {
        unit: '{evaluation}',
        description: "Evaluations of decisions, by whether they agree with the decision's outcome.",
      }),
      name('evaluations'),
    );
    this.tokens = limited(
      meter.createCounter(name('tokens'), { unit: '{token}', description: 'Tokens of the model calls beneath the decisions, by token type.' }),
      name('tokens'),
    );
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.config.metrics_flush_interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.provider.shutdown();
  }

  async consumeTraces(batch: TraceBatch): Promise<void> {
    // Behind the decision processor the decisions are on the batch already; without one in the
    // pipeline the connector finds them itself, with the same extraction.
    const events =
      !this.options.extractItself || batch.decisions.length > 0 || batch.spanCount === 0
        ? batch.decisions
        : extractDecisionEvents(batch.resourceSpans, { tenant: batch.tenant, lineage: this.lineage, trustRedactionNote: isNoteWrittenHere });
    if (events.length === 0) return;
    for (const event of events) {
      const seen = this.tracker.observe(event);
      if (seen.completed) this.recordDecision(seen.completed);
      if (seen.evaluation) {
        const judged = seen.evaluation.target ?? seen.evaluation.carrier;
        this.add(this.evaluations, 1, { ...this.dimensions.of(judged), 'decision.evaluation.agreement': seen.evaluation.agreement }, judged);
      }
    }
    this.recordTokens(batch, events);
  }

  /** Hands what the SDK aggregated to the metrics pipelines; one flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.collectAndSend().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async collectAndSend(): Promise<void> {
    // Exemplars belong to the interval being collected; taken before the collection starts, so
    // measurements made while it runs keep theirs for the next flush (which, cumulative, sends
    // their series again).
    const exemplars = this.exemplars;
    this.exemplars = new Map();
    const { resourceMetrics, errors } = await this.reader.collect();
    for (const error of errors) this.logger.warn({ err: error }, 'collecting decision metrics reported an error');
    // A delta flush starts every metric afresh: its cardinality count too.
    if (this.delta) for (const m of [this.decisions, this.confidence, this.latency, this.policyChecks, this.evaluations, this.tokens]) m.limit.reset();
    const dataPointCount = countDataPoints(resourceMetrics);
    if (dataPointCount === 0) return;
    try {
      await this.next.consumeMetrics({ resourceMetrics, dataPointCount, ...(exemplars.size > 0 ? { exemplars } : {}) });
    } catch (error) {
      this.logger.warn(
        { err: error, dataPoints: dataPointCount, connector: this.id },
        this.delta
          ? 'the metrics pipelines refused decision metrics: these deltas are lost'
          : 'the metrics pipelines refused decision metrics; the next flush sends the totals again',
      );
    }
  }

  private recordDecision(record: DecisionRecord): void {
    const attributes = this.dimensions.of(record);
    this.add(this.decisions, 1, attributes, record);
    if (record.confidence !== null && Number.isFinite(record.confidence)) this.observe(this.confidence, record.confidence, attributes, record);
    if (record.duration_ms !== null && record.duration_ms >= 0) this.observe(this.latency, record.duration_ms, attributes, record);
    for (const check of record.policy_checks) {
      this.add(this.policyChecks, 1, { ...attributes, 'decision.policy.name': check.policy, 'decision.policy.result': resultText(check.result) }, record);
    }
  }

  /**
   * Tokens of the model calls in this batch beneath its decisions' spans, attributed by the
   * model's roll-up (the same the store does): calls beneath a nested decision count for it.
   */
  private recordTokens(batch: TraceBatch, events: readonly ReadonlyDecisionEvent[]): void {
    const anchorsByTrace = new Map<string, Array<{ id: string; span_id: string; tenant: string }>>();
    for (const event of events) {
      if (event.trace_id === null || event.span_id === null) continue;
      const anchors = anchorsByTrace.get(event.trace_id) ?? [];
      if (!anchors.some((a) => a.id === event.decision_id)) anchors.push({ id: event.decision_id, span_id: event.span_id, tenant: event.tenant_id });
      anchorsByTrace.set(event.trace_id, anchors);
    }
    if (anchorsByTrace.size === 0) return;
    const spansByTrace = new Map<string, RollupSpan[]>();
    let anyCounts = false;
    for (const resourceSpans of batch.resourceSpans) {
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans) {
          if (!anchorsByTrace.has(span.traceId)) continue;
          const token_usage = readTokenCounts(span.attributes);
          anyCounts ||= token_usage !== null;
          const spans = spansByTrace.get(span.traceId) ?? [];
          spans.push({
            span_id: span.spanId,
            parent_span_id: span.parentSpanId === '' ? null : span.parentSpanId,
            kind: token_usage === null ? null : (classifySpanKind(span.attributes)?.kind ?? null),
            token_usage,
          });
          spansByTrace.set(span.traceId, spans);
        }
      }
    }
    if (!anyCounts) return;
    for (const [traceId, spans] of spansByTrace) {
      const anchors = anchorsByTrace.get(traceId)!;
      const usage = rollUpTokenUsage(spans, anchors);
      for (const anchor of anchors) {
        const own = usage.get(anchor.id)?.token_usage;
        const record = this.tracker.get(anchor.tenant, anchor.id);
        if (!own || !record) continue;
        const attributes = this.tokenDimensions.of(record);
        if (own.input > 0) this.add(this.tokens, own.input, { ...attributes, 'gen_ai.token.type': 'input' }, record);
        if (own.output > 0) this.add(this.tokens, own.output, { ...attributes, 'gen_ai.token.type': 'output' }, record);
      }
    }
  }

  private add(counter: LimitedCounter, value: number, attributes: Attributes, record: DecisionRecord): void {
    const admitted = counter.limit.admit(attributes);
    counter.instrument.add(value, admitted);
    this.keepExemplar(counter.name, admitted, value, record);
  }

  private observe(histogram: LimitedHistogram, value: number, attributes: Attributes, record: DecisionRecord): void {
    const admitted = histogram.limit.admit(attributes);
    histogram.instrument.record(value, admitted);
    this.keepExemplar(histogram.name, admitted, value, record);
  }

  /** The last `max_per_data_point` measurements of each series, with the decision they came from. */
  private keepExemplar(metric: string, attributes: Attributes, value: number, record: DecisionRecord): void {
    const { enabled, max_per_data_point: max } = this.config.exemplars;
    if (!enabled) return;
    let bySeries = this.exemplars.get(metric);
    if (!bySeries) this.exemplars.set(metric, (bySeries = new Map()));
    const key = seriesKey(attributes);
    let list = bySeries.get(key);
    if (!list) bySeries.set(key, (list = []));
    if (list.length === max) list.shift();
    list.push({
      value,
      timeMs: Date.now(),
      ...(record.trace_id ? { traceId: record.trace_id } : {}),
      ...(record.span_id ? { spanId: record.span_id } : {}),
      attributes: { 'decision.id': record.id },
    });
  }
}

/** A policy result as a label value: scalars as text (`true`, `pass`), anything else `other`. */
function resultText(result: unknown): string {
  if (typeof result === 'string') return result;
  if (typeof result === 'boolean' || typeof result === 'number') return String(result);
  return 'other';
}
