import type { MetricsRegistry } from './metrics-registry.js';

/** Process-level gauges, read at scrape time. */
export function registerProcessMetrics(registry: MetricsRegistry, startedAt = Date.now()): void {
  registry
    .gauge('otelcol_process_uptime_seconds', 'Seconds since the collector process started its pipelines.')
    .observe({}, () => (Date.now() - startedAt) / 1000);
  registry.gauge('otelcol_process_memory_rss_bytes', 'Resident set size of the collector process.').observe({}, () => process.memoryUsage.rss());
  registry
    .gauge('otelcol_process_runtime_heap_alloc_bytes', 'Bytes of JavaScript heap in use plus memory held by Buffers (what memory_limiter measures).')
    .observe({}, () => {
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.external;
    });
}
