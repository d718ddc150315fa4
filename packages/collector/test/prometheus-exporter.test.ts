import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { prometheusExporterSchema } from '../src/exporters/prometheus/config.js';
import { PrometheusExporter } from '../src/exporters/prometheus/prometheus-exporter.js';

/**
 * The prometheus exporter's keys, with metrics made by the real OpenTelemetry JS SDK: deltas
 * added up into cumulative series, `namespace`, `const_labels`, and `metric_expiration`.
 */

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function sdk(temporality: AggregationTemporality) {
  const reader = new OnDemandReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'unit' }), readers: [reader] });
  const meter = provider.getMeter('unit');
  return {
    counter: meter.createCounter('decision.count'),
    histogram: meter.createHistogram('decision.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } }),
    async collect(): Promise<{ resourceMetrics: ResourceMetrics; dataPointCount: number }> {
      const { resourceMetrics } = await reader.collect();
      return { resourceMetrics, dataPointCount: resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0) };
    },
  };
}

test('deltas are added up; namespace and const_labels apply; an idle series expires', async () => {
  const port = await freePort();
  const config = prometheusExporterSchema.parse({
    endpoint: `127.0.0.1:${port}`,
    namespace: 'acme',
    const_labels: { region: 'eu' },
    metric_expiration: '300ms',
  });
  const exporter = new PrometheusExporter('prometheus', config, pino({ level: 'silent' }));
  await exporter.start();
  try {
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const delta = sdk(AggregationTemporality.DELTA);
    delta.counter.add(2, { outcome: 'approved' });
    delta.histogram.record(5, { outcome: 'approved' });
    await exporter.consumeMetrics(await delta.collect());
    delta.counter.add(3, { outcome: 'approved' });
    delta.histogram.record(50, { outcome: 'approved' });
    await exporter.consumeMetrics(await delta.collect());

    const text = await scrape();
    assert.match(text, /^acme_decision_count_total\{outcome="approved",region="eu",otel_scope_name="unit"\} 5$/m);
    assert.match(text, /^acme_decision_duration_bucket\{outcome="approved",region="eu",otel_scope_name="unit",le="10"\} 1$/m);
    assert.match(text, /^acme_decision_duration_bucket\{outcome="approved",region="eu",otel_scope_name="unit",le="100"\} 2$/m);
    assert.match(text, /^acme_decision_duration_sum\{outcome="approved",region="eu",otel_scope_name="unit"\} 55$/m);

    // A cumulative series replaces its value instead.
    const cumulative = sdk(AggregationTemporality.CUMULATIVE);
    cumulative.counter.add(7, { outcome: 'denied' });
    await exporter.consumeMetrics(await cumulative.collect());
    await exporter.consumeMetrics(await cumulative.collect());
    assert.match(await scrape(), /^acme_decision_count_total\{outcome="denied",region="eu",otel_scope_name="unit"\} 7$/m);

    await new Promise((resolve) => setTimeout(resolve, 400));
    cumulative.counter.add(1, { outcome: 'denied' });
    await exporter.consumeMetrics(await cumulative.collect());
    const later = await scrape();
    assert.doesNotMatch(later, /outcome="approved"/, 'not updated for longer than metric_expiration');
    assert.match(later, /^acme_decision_count_total\{outcome="denied",region="eu",otel_scope_name="unit"\} 8$/m);

    assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  } finally {
    await exporter.shutdown();
  }
});
