import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Endpoint } from '../config/values.js';
import { closeServer, listen } from '../http/listen.js';
import { prometheusMetricsHandler } from '../http/prometheus-metrics-handler.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** Serves the collector's own metrics at GET /metrics in the Prometheus text format. */
export class MetricsServer {
  private readonly server: Server;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly registry: MetricsRegistry,
    private readonly logger: Logger,
  ) {
    this.server = createServer(prometheusMetricsHandler(() => this.registry.render()));
  }

  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  async start(): Promise<void> {
    await listen(this.server, this.endpoint, 'service.telemetry.metrics.address');
    this.logger.info({ endpoint: `${this.endpoint.host}:${this.port}` }, 'collector metrics served at /metrics');
  }

  shutdown(): Promise<void> {
    return closeServer(this.server);
  }
}
