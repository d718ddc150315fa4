import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Endpoint } from '../config/values.js';
import { closeServer, listen } from '../http/listen.js';
import type { MetricsRegistry } from './metrics-registry.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** Serves the collector's own metrics at GET /metrics in the Prometheus text format. */
export class MetricsServer {
  private readonly server: Server;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly registry: MetricsRegistry,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: metrics are served at /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('use GET\n');
        return;
      }
      const body = this.registry.render();
      res.writeHead(200, { 'Content-Type': PROMETHEUS_TEXT });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
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
