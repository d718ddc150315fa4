import type { ExporterFactory } from '../../component/component.js';
import { prometheusExporterSchema, type PrometheusExporterConfig } from './config.js';
import { PrometheusExporter } from './prometheus-exporter.js';

/** Serves the metrics of its pipelines for Prometheus to scrape (metrics pipelines only). */
export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  kind: 'exporter',
  type: 'prometheus',
  configSchema: prometheusExporterSchema,
  createMetrics({ id, config, logger }) {
    return new PrometheusExporter(id, config, logger);
  },
};
