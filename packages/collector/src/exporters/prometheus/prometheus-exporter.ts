import { createServer, type Server } from 'node:http';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Logger } from 'pino';
import type { MetricsBatch, MetricsExporterComponent } from '../../component/component.js';
import { closeServer, listen } from '../../http/listen.js';
import { prometheusMetricsHandler } from '../../http/prometheus-metrics-handler.js';
import type { PrometheusExporterConfig } from './config.js';
import { CumulativeState } from './cumulative-state.js';

/**
 * Keeps the metrics of its pipelines as cumulative series and serves them at `GET /metrics`
 * in the Prometheus text format, written by the OpenTelemetry JS SDK's own serializer.
 */
export class PrometheusExporter implements MetricsExporterComponent {
  private readonly state: CumulativeState;
  private readonly serializer: PrometheusSerializer;
  private readonly server: Server;

  constructor(
    private readonly id: string,
    private readonly config: PrometheusExporterConfig,
    private readonly logger: Logger,
  ) {
    this.state = new CumulativeState(config.metric_expiration);
    this.serializer = new PrometheusSerializer(config.namespace, config.send_timestamps);
    this.server = createServer(prometheusMetricsHandler(() => this.render()));
  }

  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  async start(): Promise<void> {
    await listen(this.server, this.config.endpoint, `exporters.${this.id}.endpoint`);
    this.logger.info({ endpoint: `${this.config.endpoint.host}:${this.port}` }, 'metrics served for Prometheus at /metrics');
  }

  async consumeMetrics(batch: MetricsBatch): Promise<void> {
    this.state.add(batch.resourceMetrics, Date.now());
  }

  async shutdown(): Promise<void> {
    await closeServer(this.server);
  }

  private render(): string {
    const snapshot = this.state.snapshot(Date.now());
    if (!snapshot) return '';
    const labels = this.config.const_labels;
    if (Object.keys(labels).length > 0) {
      for (const scope of snapshot.scopeMetrics) {
        for (const metric of scope.metrics) {
          (metric as { dataPoints: unknown[] }).dataPoints = metric.dataPoints.map((point) => ({ ...point, attributes: { ...point.attributes, ...labels } }));
        }
      }
    }
    return this.serializer.serialize(snapshot);
  }
}
