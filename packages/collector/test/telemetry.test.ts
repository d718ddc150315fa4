import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CollectorService, defaultComponents, parseCollectorConfig, PipelineError } from '@decision-trace/collector';
import { healthReport } from '../src/extensions/health_check/health.js';
import { MetricsRegistry } from '../src/telemetry/metrics-registry.js';
import { StatusBoard } from '../src/telemetry/status-board.js';
import { countingReceiverConsumer } from '../src/telemetry/receiver-metrics.js';

describe('metrics registry', () => {
  test('renders the Prometheus text format: HELP, TYPE, escaped labels, one line per series', () => {
    const registry = new MetricsRegistry();
    const sent = registry.counter('otelcol_exporter_sent_spans_total', 'Spans sent.\nReally.');
    sent.with({ exporter: 'otlp' }).add(3);
    sent.with({ exporter: 'otlp' }).add(2);
    sent.with({ exporter: 'we"ird\\id' }).add(1);
    sent.with({ exporter: 'x' }).add(-5);
    registry.gauge('otelcol_exporter_queue_size', 'Queue size.').observe({ exporter: 'otlp' }, () => 7);
    registry.gauge('otelcol_unused', 'Never used.');
    assert.equal(
      registry.render(),
      [
        '# HELP otelcol_exporter_queue_size Queue size.',
        '# TYPE otelcol_exporter_queue_size gauge',
        'otelcol_exporter_queue_size{exporter="otlp"} 7',
        '# HELP otelcol_exporter_sent_spans_total Spans sent.\\nReally.',
        '# TYPE otelcol_exporter_sent_spans_total counter',
        'otelcol_exporter_sent_spans_total{exporter="otlp"} 5',
        'otelcol_exporter_sent_spans_total{exporter="we\\"ird\\\\id"} 1',
        'otelcol_exporter_sent_spans_total{exporter="x"} 0',
        '',
      ].join('\n'),
    );
    assert.throws(() => registry.gauge('otelcol_exporter_sent_spans_total', 'x'), /already a counter/);
  });

  test('the receiver counter counts accepted and refused spans', async () => {
    const registry = new MetricsRegistry();
    let refuse = false;
    const consumer = countingReceiverConsumer(
      'otlp',
      {
        consumeTraces: async () => {
          if (refuse) throw new PipelineError('full', { retryable: true });
        },
      },
      registry,
    );
    await consumer.consumeTraces({ resourceSpans: [], spanCount: 4, decisions: [] });
    refuse = true;
    await assert.rejects(consumer.consumeTraces({ resourceSpans: [], spanCount: 3, decisions: [] }));
    assert.equal(registry.valueOf('otelcol_receiver_accepted_spans_total', { receiver: 'otlp' }), 4);
    assert.equal(registry.valueOf('otelcol_receiver_refused_spans_total', { receiver: 'otlp' }), 3);
  });
});

describe('health', () => {
  test('healthy only while running and no component has failed threshold times in a row', () => {
    const board = new StatusBoard(() => 0);
    const check = { enabled: true, exporter_failure_threshold: 2 };
    assert.equal(healthReport(board, check).healthy, false, 'starting');
    board.setPhase('running');
    assert.equal(healthReport(board, check).healthy, true);
    board.reportFailure('exporters.otlp', 'HTTP 503');
    assert.equal(healthReport(board, check).healthy, true, 'one failure is below the threshold');
    board.reportFailure('exporters.otlp', 'HTTP 503 again');
    const report = healthReport(board, check);
    assert.equal(report.healthy, false);
    assert.deepEqual(Object.keys(report.failing), ['exporters.otlp']);
    assert.equal(report.failing['exporters.otlp'].last_error, 'HTTP 503 again');
    assert.equal(healthReport(board, { ...check, enabled: false }).healthy, true, 'pipeline check off');
    board.reportSuccess('exporters.otlp');
    assert.equal(healthReport(board, check).healthy, true);
    board.setPhase('stopping');
    assert.equal(healthReport(board, check).healthy, false);
  });
});

describe('collector service telemetry', () => {
  const config = (telemetry: string) => `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  debug: {}
extensions:
  health_check:
    endpoint: 127.0.0.1:0
service:
  extensions: [health_check]
  shutdown_timeout: 2s
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
  telemetry:
${telemetry}
`;

  test('serves /metrics on service.telemetry.metrics.address and reports its phase', async () => {
    const parsed = parseCollectorConfig(config('    metrics:\n      address: 127.0.0.1:0'), defaultComponents(), {});
    assert.equal(parsed.service.shutdown_timeout, 2000);
    const service = new CollectorService(parsed, pino({ level: 'silent' }));
    assert.equal(service.status.phase, 'starting');
    await service.start();
    try {
      assert.equal(service.status.phase, 'running');
      const res = await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.match(text, /# TYPE otelcol_process_memory_rss_bytes gauge/);
      assert.match(text, /otelcol_receiver_accepted_spans_total\{receiver="otlp"\} 0/);
      assert.equal((await fetch(`http://127.0.0.1:${service.metricsPort}/other`)).status, 404);
    } finally {
      await service.shutdown();
    }
    assert.equal(service.status.phase, 'stopping');
  });

  test('level none serves nothing; a busy explicit address fails the start', async () => {
    const off = new CollectorService(parseCollectorConfig(config('    metrics:\n      level: none'), defaultComponents(), {}), pino({ level: 'silent' }));
    await off.start();
    assert.equal(off.metricsPort, 0);
    await off.shutdown();

    const first = new CollectorService(
      parseCollectorConfig(config('    metrics:\n      address: 127.0.0.1:0'), defaultComponents(), {}),
      pino({ level: 'silent' }),
    );
    await first.start();
    try {
      const clash = new CollectorService(
        parseCollectorConfig(config(`    metrics:\n      address: 127.0.0.1:${first.metricsPort}`), defaultComponents(), {}),
        pino({ level: 'silent' }),
      );
      await assert.rejects(clash.start(), /service\.telemetry\.metrics\.address: cannot listen/);
    } finally {
      await first.shutdown();
    }
  });
});
