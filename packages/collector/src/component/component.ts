import type { z } from 'zod';
import type { Logger } from 'pino';
import type { DecisionEvent, ReadonlyDecisionEvent, ReadonlyResourceSpans, ResourceSpans } from '@decision-trace/model';
import type { Clock, FinalDecision } from '@decision-trace/sampling';
import type { DecisionStore } from '@decision-trace/store';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ExemplarIndex } from './metric-exemplars.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import type { StatusBoard } from '../telemetry/status-board.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension' | 'connector';

/** The kinds of data a pipeline carries (`service.pipelines.<signal>[/<name>]`). */
export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];

/**
 * What flows through a traces pipeline: the spans of one request and the decision events the
 * decision processor extracted from them. Decisions ride beside the spans so samplers can drop
 * spans without ever dropping a decision.
 *
 * This is the read-only view every consumer that does not change data in place is handed: the
 * span and decision-event objects (and the `resourceSpans` array) may be shared with other
 * pipelines, so the compiler refuses writes to them. The batch object and its `decisions` array
 * are the pipeline's own: a processor may replace `resourceSpans` or add decisions. A consumer
 * that changes them in place takes a {@link MutableTraceBatch} instead ({@link MutatingTracesConsumer}).
 */
export interface TraceBatch {
  resourceSpans: readonly ReadonlyResourceSpans[];
  spanCount: number;
  decisions: ReadonlyDecisionEvent[];
  /** The tenant an authenticated receiver vouches for; overrides what the payload claims. */
  tenant?: string;
}

/**
 * A batch whose spans and decision events nobody else holds: what a receiver builds from a
 * request, and what the fan-out copies for a pipeline that mutates. Assignable to {@link TraceBatch}.
 */
export interface MutableTraceBatch {
  resourceSpans: ResourceSpans[];
  spanCount: number;
  decisions: DecisionEvent[];
  tenant?: string;
}

/**
 * A consumer that only reads the spans and decision events it is handed (`mutatesData: false`).
 * `consumeTraces` is a property, not a method, so that its parameter is checked strictly: a
 * consumer that needs a MutableTraceBatch is not accepted where a TracesConsumer is expected.
 */
export interface TracesConsumer {
  consumeTraces: (batch: TraceBatch) => Promise<void>;
}

/**
 * A consumer that may change the spans and decision events it is handed in place
 * (`mutatesData: true`): it must be given data nobody else holds. Every TracesConsumer is one
 * too (it accepts any batch), so what hands out batches it owns (a receiver) takes this type.
 */
export interface MutatingTracesConsumer {
  consumeTraces: (batch: MutableTraceBatch) => Promise<void>;
}

/**
 * What flows through a metrics pipeline: metrics in the OpenTelemetry JS SDK's data model
 * (`@opentelemetry/sdk-metrics`), which its OTLP and Prometheus serializers encode as they are.
 */
export interface MetricsBatch {
  resourceMetrics: ResourceMetrics;
  /** Data points over every metric of the batch (what exporters count). */
  dataPointCount: number;
  /** Exemplars of the data points, which the SDK's data model has no place for; OTLP exporters send them. */
  exemplars?: ExemplarIndex;
}

export interface MetricsConsumer {
  consumeMetrics(batch: MetricsBatch): Promise<void>;
}

/** What flows through a logs pipeline: log records in the OpenTelemetry JS SDK's data model. */
export interface LogsBatch {
  records: ReadableLogRecord[];
}

export interface LogsConsumer {
  consumeLogs(batch: LogsBatch): Promise<void>;
}

/** Passed to `shutdown`: work still pending (a queue to flush) may continue until `deadline`. */
export interface ShutdownContext {
  /** Epoch milliseconds (service.shutdown_timeout after the shutdown began). */
  deadline: number;
}

/** Lifecycle shared by every component. `start` may bind sockets or open stores. */
export interface Component {
  start(): Promise<void>;
  shutdown(context?: ShutdownContext): Promise<void>;
}

/** A processor that only reads the spans and decision events it is handed (`mutatesData: false`). */
export interface ProcessorComponent extends Component, TracesConsumer {}
/** A processor that changes spans or decision events in place (`mutatesData: true`): its pipeline gets its own copy. */
export interface MutatingProcessorComponent extends Component, MutatingTracesConsumer {}
export interface ExporterComponent extends Component, TracesConsumer {}
export interface MetricsExporterComponent extends Component, MetricsConsumer {}
export interface LogsExporterComponent extends Component, LogsConsumer {}
/** A connector as the exporter of a traces pipeline; what it makes of the spans goes on as metrics or logs. */
export interface TracesToMetricsConnector extends Component, TracesConsumer {}
export type ReceiverComponent = Component;
export type ExtensionComponent = Component;

/**
 * Services the running collector offers its components. Components never import each other;
 * what they share (a store opened once per URL) comes through here.
 */
export interface Host {
  openStore(url: string): Promise<DecisionStore>;
  /** The collector's own metrics, served at service.telemetry.metrics.address. */
  metrics: MetricsRegistry;
  /** Where components report whether they can deliver; the health_check extension reads it. */
  status: StatusBoard;
  /**
   * Decision events that enter outside a pipeline (the decision API's `POST /v1/events`) with
   * the rules of every redacting processor in the configured pipelines applied, so they meet
   * the same rules as spans; the events as given when no pipeline redacts.
   */
  redactPostedEvents(events: DecisionEvent[]): DecisionEvent[];
}

export interface CreateSettings<C> {
  /** `type` or `type/name`, as written in the config. */
  id: string;
  config: C;
  logger: Logger;
  host: Host;
  /** For processors: the pipeline this instance belongs to (each pipeline has its own instance). */
  pipeline?: string;
  /** For connectors: the pipelines that export to it, with their processors (ids as configured). */
  upstream?: ReadonlyArray<{ id: string; processors: readonly string[] }>;
  /**
   * For processors: every exporter (and connector) of the pipeline acknowledges what it is
   * handed once it holds it in memory (ExporterFactory.acknowledgesFromMemory: an in-memory
   * sending queue), so a processor that holds data before the client is answered makes no
   * answer mean less than it already does. The service computes it; absent: false.
   */
  exportersAcknowledgeFromMemory?: boolean;
  /**
   * For receivers: what the pipelines they feed read of the spans, which the service computes
   * from the pipelines' components, so that decoding does no work nobody downstream uses.
   * Absent: everything is read and forwarded.
   */
  downstream?: DownstreamSpanUse;
  /**
   * The time source of components that keep time (rate limits, tail sampling's waits); the
   * system clock when absent. The offline `sampling test` command gives a manual one.
   */
  clock?: Clock;
  /**
   * Told of each trace a trace-deciding processor (tail_sampling) decides. The service does not
   * listen; the offline `sampling test` command reports these verdicts.
   */
  onTraceDecided?: (verdict: DecidedTrace) => void;
}

/**
 * What the consumers behind a receiver do with the spans it decodes (see CreateSettings.downstream).
 * The Collector has no counterpart: its receivers always decode everything.
 */
export interface DownstreamSpanUse {
  /**
   * Some exporter of a pipeline the receiver feeds writes spans in the bytes they arrived in
   * (ExporterFactory.forwardsReceivedEncoding): the decoder keeps each resource's and scope's
   * bytes and tracks what it leaves out of them (@decision-trace/otlp received-encoding.ts).
   * Without one it does neither.
   */
  forwardsReceivedEncoding: boolean;
  /**
   * Every processor, exporter and connector of every pipeline the receiver feeds reads only the
   * spans that may hold a decision, and of the others only their ids (`readsDecisionSpansOnly`:
   * a pipeline of the decision processor and a decisions exporter that stores no context spans,
   * or a pass-through of the batch processor and an otlp or otlphttp exporter, which forward the
   * received bytes). The decoder then returns the other spans as outlines, their ids and nothing
   * else (@decision-trace/otlp span-outline.ts), checking them as thoroughly; with
   * `forwardsReceivedEncoding`, only where it keeps the bytes they arrived in.
   */
  decisionSpansOnly: boolean;
}

/** What a receiver assumes when it is told nothing: every exporter may forward the received bytes, every span is read. */
export const EVERYTHING_DOWNSTREAM: DownstreamSpanUse = { forwardsReceivedEncoding: true, decisionSpansOnly: false };

/**
 * Declared by a processor or exporter factory whose instances read, of the spans they are
 * handed, only those that may hold a decision — a `decision.type` or `dt.decision_id` attribute,
 * a span event — whole, and of every other span only its trace id, span id and parent span id
 * (see DownstreamSpanUse.decisionSpansOnly). Absent or false: it may read every span whole.
 * An exporter that forwards received bytes (`forwardsReceivedEncoding`) and reads nothing else
 * of spans may declare it too: outlines come only with their bytes kept (the receiver keeps
 * bytes whenever such an exporter is downstream), and the encoders refuse an outline, so one
 * that reached an encoder without its bytes would fail loudly rather than be sent empty.
 */
export interface DecisionSpanReader<C> {
  readsDecisionSpansOnly?(config: C): boolean;
}

/** One trace's verdict, as a trace-deciding processor reached it. */
export interface DecidedTrace {
  traceId: string;
  decision: FinalDecision;
  /** The policy that decided; null when none matched. */
  policy: string | null;
}

interface FactoryBase<C> {
  type: string;
  /** Strict schema with defaults: unknown keys and invalid values fail at start. */
  configSchema: z.ZodType<C>;
}

export interface ReceiverFactory<C = unknown> extends FactoryBase<C> {
  kind: 'receiver';
  /** `next` owns the batches it is handed: a receiver builds each from a request and keeps none of it. */
  create(settings: CreateSettings<C>, next: MutatingTracesConsumer): ReceiverComponent;
}

/**
 * What a consumer does with the data it is handed, as the Collector's `consumer.Capabilities`.
 * The receiver's fan-out to several pipelines shares one set of spans and decision events among
 * them; only a pipeline with a processor that mutates gets its own copy (see pipeline/fanout.ts).
 * The types hold each side to it: a processor declaring `false` is handed a read-only
 * {@link TraceBatch}, one declaring `true` a {@link MutableTraceBatch}.
 */
export interface ConsumerCapabilities<Mutates extends boolean = boolean> {
  /**
   * `true`: changes span or decision-event objects it receives in place. `false`: only reads
   * them and builds new objects for what it changes (copy on write); it may still replace the
   * batch's own fields (`resourceSpans`, `decisions`), which each pipeline has to itself.
   */
  mutatesData: Mutates;
}

interface ProcessorFactoryBase<C> extends FactoryBase<C>, DecisionSpanReader<C> {
  kind: 'processor';
  /**
   * A processor that redacts offers the same rules for decision events that enter outside the
   * pipelines (see Host.redactPostedEvents): one event in, the event as it may be stored out.
   */
  postedEventRedaction?(config: C): (event: DecisionEvent) => DecisionEvent;
}

/** A processor that only reads what it is handed (all of ours): it may share spans with other pipelines. */
export interface ReadingProcessorFactory<C = unknown> extends ProcessorFactoryBase<C> {
  capabilities: ConsumerCapabilities<false>;
  create(settings: CreateSettings<C>, next: TracesConsumer): ProcessorComponent;
}

/** A processor that changes spans or decision events in place: the fan-out gives its pipeline a copy. */
export interface MutatingProcessorFactory<C = unknown> extends ProcessorFactoryBase<C> {
  capabilities: ConsumerCapabilities<true>;
  create(settings: CreateSettings<C>, next: TracesConsumer): MutatingProcessorComponent;
}

/** Whether its instances change the spans or decision events they receive in place is in `capabilities`. */
export type ProcessorFactory<C = unknown> = ReadingProcessorFactory<C> | MutatingProcessorFactory<C>;

/** Narrows a processor factory by what it declares (TypeScript does not narrow on a nested field). */
export function isMutatingProcessor<C>(factory: ProcessorFactory<C>): factory is MutatingProcessorFactory<C> {
  return factory.capabilities.mutatesData;
}

export interface ExporterFactory<C = unknown> extends FactoryBase<C>, DecisionSpanReader<C> {
  kind: 'exporter';
  /** The exporter of traces pipelines; absent when it exports no traces. */
  create?(settings: CreateSettings<C>): ExporterComponent;
  /**
   * The exporter of metrics pipelines; absent when it exports no metrics. As in the Collector,
   * an exporter listed in pipelines of both signals runs one instance per signal.
   */
  createMetrics?(settings: CreateSettings<C>): MetricsExporterComponent;
  /** The exporter of logs pipelines; absent when it exports no logs. */
  createLogs?(settings: CreateSettings<C>): LogsExporterComponent;
  /**
   * Whether its traces instance writes spans that reach it unchanged in the bytes they were
   * received in (@decision-trace/otlp received-encoding.ts): the receivers feeding it then keep
   * those bytes. Absent: it does not (it encodes what it sends, or sends no spans).
   */
  forwardsReceivedEncoding?(config: C): boolean;
  /**
   * Whether its traces instance acknowledges a batch once it holds it in memory only (an
   * enabled sending queue without storage): lost with the process, as anything a processor
   * holds. Absent: it does not (it has delivered, written or journaled what it acknowledges).
   */
  acknowledgesFromMemory?(config: C): boolean;
  /** The store URL this exporter writes in the collector's own process, if any. */
  writtenStore?(config: C): string | undefined;
}

/** A store that an exporter of the configured pipelines writes. */
export interface PipelineStore {
  /** The exporter's id, `decisions` or `decisions/<name>`. */
  exporter: string;
  url: string;
}

export interface ExtensionFactory<C = unknown> extends FactoryBase<C> {
  kind: 'extension';
  create(settings: CreateSettings<C>): ExtensionComponent;
  /**
   * Completes an enabled extension's config from what the pipelines write (the decision API
   * serves the store its pipelines' exporter writes). Throws a ConfigError whose path is
   * relative to the extension's config when the two cannot be reconciled.
   */
  withPipelineStores?(config: C, stores: readonly PipelineStore[]): C;
  /**
   * A storage extension (file_storage): the directory under which an exporter whose
   * `sending_queue.storage` names this extension keeps its persistent queue.
   */
  storageDirectory?(config: C): string;
}

/**
 * A connector joins pipelines as the Collector's do: it is listed as an exporter of a pipeline
 * of one signal and as a receiver of a pipeline of another, and turns what it is given into the
 * other signal. Traces → metrics and traces → logs exist so far.
 */
export interface ConnectorFactory<C = unknown> extends FactoryBase<C> {
  kind: 'connector';
  /** [exporter side, receiver side] signal pairs it supports. */
  pairs: ReadonlyArray<readonly [Signal, Signal]>;
  createTracesToMetrics?(settings: CreateSettings<C>, next: MetricsConsumer): TracesToMetricsConnector;
  /** As in the Collector, one instance per signal pair it is used in. */
  createTracesToLogs?(settings: CreateSettings<C>, next: LogsConsumer): TracesToMetricsConnector;
}

export type ComponentFactory = ReceiverFactory | ProcessorFactory | ExporterFactory | ExtensionFactory | ConnectorFactory;
