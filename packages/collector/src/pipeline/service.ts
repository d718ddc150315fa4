import type { Logger } from 'pino';
import type {
  Component,
  ExporterComponent,
  ExporterFactory,
  ExtensionFactory,
  Host,
  ProcessorFactory,
  ReceiverFactory,
  TracesConsumer,
} from '../component/component.js';
import type { CollectorConfig } from '../config/collector-config.js';
import { fanout, fanoutToPipelines } from './fanout.js';
import { StoreProvider } from './store-provider.js';

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

  constructor(
    private readonly config: CollectorConfig,
    private readonly logger: Logger,
  ) {
    this.host = { openStore: (url) => this.stores.open(url) };
  }

  async start(): Promise<void> {
    try {
      await this.startAll();
    } catch (error) {
      await this.shutdown();
      throw error;
    }
  }

  async shutdown(): Promise<void> {
    while (this.started.length > 0) {
      const { id, component } = this.started.pop()!;
      try {
        await component.shutdown();
      } catch (error) {
        this.logger.error({ err: error, component: id }, 'component failed to shut down cleanly');
      }
    }
    await this.stores.closeAll();
  }

  private async run(id: string, component: Component): Promise<void> {
    await component.start();
    this.started.push({ id, component });
  }

  private settings<C>(kind: string, id: string, config: C) {
    return { id, config, logger: this.logger.child({ kind, name: id }), host: this.host };
  }

  private async startAll(): Promise<void> {
    const { config } = this;
    for (const id of config.service.extensions) {
      const resolved = config.extensions.get(id)!;
      const factory = resolved.factory as ExtensionFactory;
      await this.run(`extensions.${id}`, factory.create(this.settings('extension', id, resolved.config)));
    }

    const exporters = new Map<string, ExporterComponent>();
    for (const pipeline of config.service.pipelines) {
      for (const id of pipeline.exporters) {
        if (exporters.has(id)) continue;
        const resolved = config.exporters.get(id)!;
        const exporter = (resolved.factory as ExporterFactory).create(this.settings('exporter', id, resolved.config));
        await this.run(`exporters.${id}`, exporter);
        exporters.set(id, exporter);
      }
    }

    const pipelineHeads = new Map<string, TracesConsumer[]>();
    for (const pipeline of config.service.pipelines) {
      let next: TracesConsumer = fanout(pipeline.exporters.map((id) => exporters.get(id)!));
      for (const id of [...pipeline.processors].reverse()) {
        const resolved = config.processors.get(id)!;
        const processor = (resolved.factory as ProcessorFactory).create(
          this.settings('processor', `${id} (${pipeline.id})`, resolved.config),
          next,
        );
        await this.run(`processors.${id}`, processor);
        next = processor;
      }
      for (const id of pipeline.receivers) {
        const heads = pipelineHeads.get(id) ?? [];
        heads.push(next);
        pipelineHeads.set(id, heads);
      }
    }

    for (const [id, heads] of pipelineHeads) {
      const resolved = config.receivers.get(id)!;
      const receiver = (resolved.factory as ReceiverFactory).create(this.settings('receiver', id, resolved.config), fanoutToPipelines(heads));
      await this.run(`receivers.${id}`, receiver);
    }
  }
}
