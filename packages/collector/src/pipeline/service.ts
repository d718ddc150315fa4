import type { Logger } from 'pino';
import type {
  Component,
  ConnectorFactory,
  DecisionSpanReader,
  DownstreamSpanUse,
  ExporterComponent,
  LogsConsumer,
  LogsExporterComponent,
  MetricsConsumer,
  MetricsExporterComponent,
  ExporterFactory,
  ExtensionFactory,
  Host,
  ProcessorFactory,
  ReceiverFactory,
  ShutdownContext,
  TracesConsumer,
} from '../component/component.js';
import { isMutatingProcessor } from '../component/component.js';
import { DEFAULT_METRICS_ADDRESS, type CollectorConfig } from '../config/collector-config.js';
import { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { MetricsServer } from '../telemetry/metrics-server.js';
import { registerProcessMetrics } from '../telemetry/process-metrics.js';
import { countingReceiverConsumer } from '../telemetry/receiver-metrics.js';
import { StatusBoard } from '../telemetry/status-board.js';
import { fanout, fanoutLogs, fanoutMetrics, fanoutToPipelines, type PipelineEntry } from './fanout.js';
import { postedEventRedaction } from './posted-event-redaction.js';
import { StoreProvider } from './store-provider.js';

/** A component still busy this long after shutdown_timeout is left behind. */
const SHUTDOWN_GRACE_MS = 1000;

interface Started {
  id: string;
  component: Component;
}

/**
 * A running collector built from config: extensions, then exporters, processors and receivers
 * are started in that order (data sources last, so nothing arrives before its path is ready)
 * and shut down in reverse.
 */
export class CollectorService {
  private readonly stores = new StoreProvider();
  private readonly started: Started[] = [];
  private readonly host: Host;
  private metricsServer?: MetricsServer;
  readonly metrics = new MetricsRegistry();
  readonly status = new StatusBoard();

  constructor(
    private readonly config: CollectorConfig,
    private readonly logger: Logger,
  ) {
    this.host = {
      openStore: (url) => this.stores.open(url),
      metrics: this.metrics,
      status: this.status,
      // Built from the config before anything starts: the decision API listens before the
      // processors exist, and must redact from its first request.
      redactPostedEvents: postedEventRedaction(config),
    };
  }

  /** Where /metrics is served, once started (0 when it is off). */
  get metricsPort(): number {
    return this.metricsServer?.port ?? 0;
  }

  async start(): Promise<void> {
    try {
      await this.startTelemetry();
      await this.startAll();
    } catch (error) {
      // Stop what did start (the metrics server, extensions, listeners), so that the process can
      // exit; bounded, because a component that hangs on shutdown must not keep a collector that
      // failed to start running half-way.
      await this.shutdownAfterFailedStart();
      throw error;
    }
    this.status.setPhase('running');
  }

  /**
   * Stops data sources first, then lets processors and exporters flush until
   * service.shutdown_timeout; persistent queues keep whatever is left for the next start.
   */
  async shutdown(): Promise<void> {
    this.status.setPhase('stopping');
    const context: ShutdownContext = { deadline: Date.now() + this.config.service.shutdown_timeout };
    while (this.started.length > 0) {
      const { id, component } = this.started.pop()!;
      await this.shutdownWithin(id, component, context);
    }
    await this.stores.closeAll();
    await this.metricsServer?.shutdown();
    this.metricsServer = undefined;
  }

  private async shutdownAfterFailedStart(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = this.config.service.shutdown_timeout + 2 * SHUTDOWN_GRACE_MS;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), limit)));
    const done = this.shutdown().then(
      () => 'done' as const,
      (error: unknown) => {
        this.logger.error({ err: error }, 'stopping the components that did start failed');
        return 'done' as const;
      },
    );
    if ((await Promise.race([done, late])) === 'late') this.logger.warn('the components that did start are still stopping; giving up on them');
    clearTimeout(timer);
  }

  private async shutdownWithin(id: string, component: Component, context: ShutdownContext): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), Math.max(0, context.deadline - Date.now()) + SHUTDOWN_GRACE_MS);
    });
    const done = component.shutdown(context).then(
      () => 'done' as const,
      (error: unknown) => {
        this.logger.error({ err: error, component: id }, 'component failed to shut down cleanly');
        return 'done' as const;
      },
    );
    if ((await Promise.race([done, late])) === 'late') {
      this.logger.warn({ component: id }, 'component still busy after shutdown_timeout; moving on');
    }
    clearTimeout(timer);
  }

  private async startTelemetry(): Promise<void> {
    const { metrics } = this.config.service.telemetry;
    registerProcessMetrics(this.metrics);
    if (metrics.level === 'none') return;
    const server = new MetricsServer(metrics.address ?? DEFAULT_METRICS_ADDRESS, this.metrics, this.logger);
    try {
      await server.start();
    } catch (error) {
      // The default address may be taken (another collector on the machine): that must not stop
      // this one. An address the user chose must work, though.
      if (metrics.address) throw error;
      this.logger.warn({ err: error }, 'collector metrics not served: the default address is unavailable (set service.telemetry.metrics.address)');
      return;
    }
    this.metricsServer = server;
  }

  private async run(id: string, component: Component): Promise<void> {
    await component.start();
    this.started.push({ id, component });
  }

  private settings<C>(kind: string, id: string, config: C) {
    return { id, config, logger: this.logger.child({ kind, name: id }), host: this.host };
  }

  /** Whether exporter `id` (a connector: no) writes spans in the bytes they were received in. */
  private forwardsReceivedEncoding(id: string): boolean {
    const resolved = this.config.exporters.get(id);
    if (resolved === undefined) return false;
    return (resolved.factory as ExporterFactory).forwardsReceivedEncoding?.(resolved.config) === true;
  }

  /** Whether exporter `id` (a connector: no) acknowledges what it holds in memory only. */
  private acknowledgesFromMemory(id: string): boolean {
    const resolved = this.config.exporters.get(id);
    if (resolved === undefined) return false;
    return (resolved.factory as ExporterFactory).acknowledgesFromMemory?.(resolved.config) === true;
  }

  /** Whether a processor or exporter (a connector, undefined here: no) declares it reads only decision spans whole. */
  private readsDecisionSpansOnly(resolved: { factory: unknown; config: unknown } | undefined): boolean {
    if (resolved === undefined) return false;
    return (resolved.factory as DecisionSpanReader<unknown>).readsDecisionSpansOnly?.(resolved.config) === true;
  }

  private async startAll(): Promise<void> {
    const { config } = this;
    for (const id of config.service.extensions) {
      const resolved = config.extensions.get(id)!;
      const factory = resolved.factory as ExtensionFactory;
      await this.run(`extensions.${id}`, factory.create(this.settings('extension', id, resolved.config)));
    }

    // As in the Collector, an exporter runs one instance per signal it is used for.
    const exporters = new Map<string, ExporterComponent>();
    const metricsExporters = new Map<string, MetricsExporterComponent>();
    const logsExporters = new Map<string, LogsExporterComponent>();
    for (const pipeline of config.service.pipelines) {
      for (const id of pipeline.exporters) {
        const resolved = config.exporters.get(id);
        if (!resolved) continue; // a connector, started below with the pipelines it feeds
        const factory = resolved.factory as ExporterFactory;
        const settings = this.settings('exporter', id, resolved.config);
        if (pipeline.signal === 'metrics' && !metricsExporters.has(id)) {
          const exporter = factory.createMetrics!(settings);
          await this.run(`exporters.${id} (metrics)`, exporter);
          metricsExporters.set(id, exporter);
        } else if (pipeline.signal === 'logs' && !logsExporters.has(id)) {
          const exporter = factory.createLogs!(settings);
          await this.run(`exporters.${id} (logs)`, exporter);
          logsExporters.set(id, exporter);
        } else if (pipeline.signal === 'traces' && !exporters.has(id)) {
          const exporter = factory.create!(settings);
          await this.run(`exporters.${id}`, exporter);
          exporters.set(id, exporter);
        }
      }
    }

    // Metrics and logs pipelines (no processor handles them yet) start from connectors only.
    const metricsHeads = new Map<string, MetricsConsumer[]>();
    const logsHeads = new Map<string, LogsConsumer[]>();
    for (const pipeline of config.service.pipelines) {
      if (pipeline.signal === 'metrics') {
        const head = fanoutMetrics(pipeline.exporters.map((id) => metricsExporters.get(id)!));
        for (const id of pipeline.receivers) metricsHeads.set(id, [...(metricsHeads.get(id) ?? []), head]);
      } else if (pipeline.signal === 'logs') {
        const head = fanoutLogs(pipeline.exporters.map((id) => logsExporters.get(id)!));
        for (const id of pipeline.receivers) logsHeads.set(id, [...(logsHeads.get(id) ?? []), head]);
      }
    }
    // A connector runs one instance per signal it feeds (as in the Collector); the traces
    // pipelines that export to it feed every instance.
    const connectors = new Map<string, TracesConsumer>();
    for (const [id, resolved] of config.connectors) {
      const factory = resolved.factory as ConnectorFactory;
      const upstream = config.service.pipelines.filter((p) => p.exporters.includes(id)).map((p) => ({ id: p.id, processors: p.processors }));
      const settings = { ...this.settings('connector', id, resolved.config), upstream };
      const instances: TracesConsumer[] = [];
      const toMetrics = metricsHeads.get(id);
      if (toMetrics && factory.createTracesToMetrics) {
        const connector = factory.createTracesToMetrics(settings, fanoutMetrics(toMetrics));
        await this.run(`connectors.${id} (metrics)`, connector);
        instances.push(connector);
      }
      const toLogs = logsHeads.get(id);
      if (toLogs && factory.createTracesToLogs) {
        const connector = factory.createTracesToLogs(settings, fanoutLogs(toLogs));
        await this.run(`connectors.${id} (logs)`, connector);
        instances.push(connector);
      }
      if (instances.length > 0) connectors.set(id, fanout(instances));
    }

    const pipelineHeads = new Map<string, PipelineEntry[]>();
    const downstream = new Map<string, DownstreamSpanUse>();
    for (const pipeline of config.service.pipelines) {
      if (pipeline.signal !== 'traces') continue;
      let next: TracesConsumer = fanout(pipeline.exporters.map((id) => exporters.get(id) ?? connectors.get(id)!));
      let head: PipelineEntry = { mutatesData: false, consumer: next };
      for (const id of [...pipeline.processors].reverse()) {
        const resolved = config.processors.get(id)!;
        const factory = resolved.factory as ProcessorFactory;
        const settings = {
          ...this.settings('processor', `${id} (${pipeline.id})`, resolved.config),
          pipeline: pipeline.id,
          exportersAcknowledgeFromMemory: pipeline.exporters.every((exporter) => this.acknowledgesFromMemory(exporter)),
        };
        if (isMutatingProcessor(factory)) {
          const processor = factory.create(settings, next);
          await this.run(`processors.${id}`, processor);
          head = { mutatesData: true, consumer: processor };
          // The processors before it hand on what the fan-out copied for this pipeline (or spans
          // they built), which nobody outside the pipeline holds: theirs to hand to one that mutates.
          next = processor as unknown as TracesConsumer;
        } else {
          const processor = factory.create(settings, next);
          await this.run(`processors.${id}`, processor);
          head = head.mutatesData ? { mutatesData: true, consumer: processor } : { mutatesData: false, consumer: processor };
          next = processor;
        }
      }
      // A pipeline that mutates never forwards received bytes: the fan-out copies its spans, or
      // makes them forget the bytes (pipeline/fanout.ts).
      const forwards = !head.mutatesData && pipeline.exporters.some((id) => this.forwardsReceivedEncoding(id));
      // Span outlines are shared, frozen values: never for a pipeline that changes spans in place.
      const decisionSpansOnly =
        !head.mutatesData &&
        pipeline.processors.every((id) => this.readsDecisionSpansOnly(config.processors.get(id))) &&
        pipeline.exporters.every((id) => this.readsDecisionSpansOnly(config.exporters.get(id)));
      for (const id of pipeline.receivers) {
        const heads = pipelineHeads.get(id) ?? [];
        heads.push(head);
        pipelineHeads.set(id, heads);
        const use = downstream.get(id) ?? { forwardsReceivedEncoding: false, decisionSpansOnly: true };
        downstream.set(id, {
          forwardsReceivedEncoding: use.forwardsReceivedEncoding || forwards,
          decisionSpansOnly: use.decisionSpansOnly && decisionSpansOnly,
        });
      }
    }

    for (const [id, heads] of pipelineHeads) {
      const resolved = config.receivers.get(id)!;
      const consumer = countingReceiverConsumer(id, fanoutToPipelines(heads), this.metrics);
      const settings = { ...this.settings('receiver', id, resolved.config), downstream: downstream.get(id)! };
      const receiver = (resolved.factory as ReceiverFactory).create(settings, consumer);
      await this.run(`receivers.${id}`, receiver);
    }
  }
}
