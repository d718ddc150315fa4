import type { RequestListener } from 'node:http';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The request handler of a Prometheus scrape endpoint, the collector's own (`service.telemetry.metrics`)
 * and the `prometheus` exporter's alike: `GET /metrics` (or HEAD) answers what `render` gives, in the
 * Prometheus text format; any other path is a 404, any other method a 405.
 */
export function prometheusMetricsHandler(render: () => string): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: metrics are served at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('use GET\n');
      return;
    }
    // Rendered before the head is written, so that a failure to render is never a 200.
    const body = req.method === 'HEAD' ? undefined : render();
    res.writeHead(200, { 'Content-Type': PROMETHEUS_TEXT });
    res.end(body);
  };
}
