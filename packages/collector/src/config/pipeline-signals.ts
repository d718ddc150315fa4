import type { ConnectorFactory, ExporterFactory, Signal } from '../component/component.js';
import { ConfigError, joinPath } from './config-error.js';

/** The signal of a pipeline id (`traces`, `metrics/prom`), or undefined for an unknown one. */
export function pipelineSignal(id: string): Signal | undefined {
  const match = /^(traces|metrics|logs)(\/[A-Za-z0-9_.\-]+)?$/.exec(id);
  return match ? (match[1] as Signal) : undefined;
}

/** The signals an exporter type can export: one per create function it offers. */
export function exporterSignals(factory: ExporterFactory): Signal[] {
  const signals: Signal[] = [];
  if (factory.create) signals.push('traces');
  if (factory.createMetrics) signals.push('metrics');
  if (factory.createLogs) signals.push('logs');
  return signals;
}

export interface PipelineUse {
  pipeline: string;
  signal: Signal;
  /** `exporters` or `receivers`, and the index in that list: the YAML path of the use. */
  side: 'exporters' | 'receivers';
  index: number;
}

function usePath(use: PipelineUse): string {
  return joinPath('service', 'pipelines', use.pipeline, use.side, use.index);
}

/**
 * Checks connectors as the Collector does: a connector is an exporter of one pipeline and a
 * receiver of another, both sides must be used, and every use must pair with a use on the other
 * side in a signal pair the connector supports. A connector in no pipeline is simply not run.
 */
export function checkConnectorUses(connectors: ReadonlyMap<string, ConnectorFactory>, uses: ReadonlyMap<string, PipelineUse[]>, errors: ConfigError[]): void {
  for (const [id, factory] of connectors) {
    const all = uses.get(id) ?? [];
    if (all.length === 0) continue;
    const asExporter = all.filter((use) => use.side === 'exporters');
    const asReceiver = all.filter((use) => use.side === 'receivers');
    const supported = factory.pairs.map(([from, to]) => `${from} → ${to}`).join(', ');
    for (const use of asExporter) {
      if (!factory.pairs.some(([from]) => from === use.signal)) {
        errors.push(new ConfigError(usePath(use), `connector "${id}" cannot export from a ${use.signal} pipeline (it connects ${supported})`));
      } else if (asReceiver.length === 0) {
        errors.push(
          new ConfigError(
            usePath(use),
            `connector "${id}" is used as an exporter but no pipeline lists it as a receiver: a connector must be used on both sides`,
          ),
        );
      } else if (!asReceiver.some((r) => factory.pairs.some(([from, to]) => from === use.signal && to === r.signal))) {
        errors.push(
          new ConfigError(
            usePath(use),
            `connector "${id}" is used as an exporter of a ${use.signal} pipeline but is no receiver of a pipeline it can feed (it connects ${supported})`,
          ),
        );
      }
    }
    for (const use of asReceiver) {
      if (!factory.pairs.some(([, to]) => to === use.signal)) {
        errors.push(new ConfigError(usePath(use), `connector "${id}" cannot feed a ${use.signal} pipeline (it connects ${supported})`));
      } else if (asExporter.length === 0) {
        errors.push(
          new ConfigError(
            usePath(use),
            `connector "${id}" is used as a receiver but no pipeline lists it as an exporter: a connector must be used on both sides`,
          ),
        );
      } else if (!asExporter.some((e) => factory.pairs.some(([from, to]) => from === e.signal && to === use.signal))) {
        errors.push(
          new ConfigError(
            usePath(use),
            `connector "${id}" is used as a receiver of a ${use.signal} pipeline but exports from no pipeline it can connect from (it connects ${supported})`,
          ),
        );
      }
    }
  }
}
