import { createServer } from 'node:http';
import type { ExtensionFactory } from '../../component/component.js';
import { closeServer, listen } from '../../http/listen.js';
import { healthCheckSchema, type HealthCheckConfig } from './config.js';
import { healthReport } from './health.js';

/** GET <path> answers 200 while the collector is running and can deliver, 503 otherwise. */
export const healthCheckFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  configSchema: healthCheckSchema,
  create({ id, config, host, logger }) {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path !== config.path) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: health is served at ${config.path}\n`);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('use GET\n');
        return;
      }
      const report = healthReport(host.status, config.check_collector_pipeline);
      res.writeHead(report.healthy ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(report));
    });
    return {
      async start() {
        await listen(server, config.endpoint, `extensions.${id}.endpoint`);
        const address = server.address();
        const port = address !== null && typeof address === 'object' ? address.port : config.endpoint.port;
        logger.info({ endpoint: `${config.endpoint.host}:${port}${config.path}` }, 'health check listening');
      },
      async shutdown() {
        await closeServer(server);
      },
    };
  },
};
