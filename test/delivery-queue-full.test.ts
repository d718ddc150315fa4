import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectorEndpoints,
  eventually,
  launchTestCollector,
  makeTraffic,
  metricValue,
  postTraces,
  startHttpSink,
  type CollectorEndpoints,
  type CollectorProcess,
  type OtlpSink,
  type TrafficRequest,
} from './delivery-sink.js';

/**
 * A sending queue that fills up refuses instead of dropping: the client gets 503 (or 429) with
 * Retry-After, and the collector's own /metrics account for every span it was sent, delivered
 * and refused.
 */
describe('a full sending queue', () => {
  const QUEUE_SIZE = 4;
  const REQUESTS = 10;
  const SPANS = 5;
  let sink: OtlpSink;
  let collector: CollectorProcess;
  let endpoints: CollectorEndpoints;
  const accepted: TrafficRequest[] = [];
  const refused: Array<TrafficRequest & { status: number; retryAfter: string | null }> = [];

  before(async () => {
    sink = await startHttpSink();
    sink.failWith({ status: 503 });
    endpoints = await collectorEndpoints();
    const dir = mkdtempSync(join(tmpdir(), 'dt-queue-full-'));
    collector = await launchTestCollector(join(dir, 'collector-config.yaml'), endpoints, {
      components: `processors:
  decision: {}
exporters:
  otlphttp:
    endpoint: ${sink.url}
    sending_queue:
      queue_size: ${QUEUE_SIZE}
      num_consumers: 1
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 300ms
      max_elapsed_time: 0
`,
      pipelines: `    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [otlphttp]
`,
      metrics: true,
    });
  });

  after(async () => {
    await collector?.stop();
    await sink?.close();
  });

  test('refuses with 503/429 + Retry-After once the queue is full', async () => {
    for (let i = 0; i < REQUESTS; i++) {
      const traffic = makeTraffic(SPANS, 1);
      const answer = await postTraces(endpoints.otlpUrl, traffic.body);
      if (answer.status === 200) accepted.push(traffic);
      else refused.push({ ...traffic, ...answer });
    }
    // One request is with the consumer (retrying), QUEUE_SIZE wait behind it.
    assert.equal(accepted.length, QUEUE_SIZE + 1, `accepted ${accepted.length}, refused ${refused.map((r) => r.status).join(',')}`);
    assert.equal(refused.length, REQUESTS - QUEUE_SIZE - 1);
    for (const answer of refused) {
      assert.ok(answer.status === 503 || answer.status === 429, `status ${answer.status}`);
      assert.match(answer.retryAfter ?? '', /^\d+$/, 'Retry-After in seconds');
      assert.ok(Number(answer.retryAfter) >= 1);
    }
  });

  test('/metrics count what was accepted, refused and queued; health is 503 while the sink fails', async () => {
    const text = await (await fetch(endpoints.metricsUrl)).text();
    const exporter = { exporter: 'otlphttp' };
    assert.equal(metricValue(text, 'otelcol_receiver_accepted_spans_total', { receiver: 'otlp' }), accepted.length * SPANS);
    assert.equal(metricValue(text, 'otelcol_receiver_refused_spans_total', { receiver: 'otlp' }), refused.length * SPANS);
    assert.equal(metricValue(text, 'otelcol_exporter_accepted_spans_total', exporter), accepted.length * SPANS);
    assert.equal(metricValue(text, 'otelcol_exporter_enqueue_failed_spans_total', exporter), refused.length * SPANS);
    assert.equal(metricValue(text, 'otelcol_exporter_sent_spans_total', exporter), 0);
    assert.equal(metricValue(text, 'otelcol_exporter_queue_size', exporter), QUEUE_SIZE);
    assert.equal(metricValue(text, 'otelcol_exporter_queue_capacity', exporter), QUEUE_SIZE);
    assert.ok((metricValue(text, 'otelcol_exporter_retries_total', exporter) ?? 0) >= 1, 'retries are counted');
    assert.ok(sink.refusedAttempts >= 1);

    const health = await fetch(endpoints.healthUrl);
    assert.equal(health.status, 503);
    const report = (await health.json()) as { failing: Record<string, unknown> };
    assert.ok('exporters.otlphttp' in report.failing, JSON.stringify(report));
  });

  test('after the sink recovers, exactly the accepted spans arrive and the counters agree', async () => {
    sink.failWith(undefined);
    const expected = accepted.flatMap((t) => t.spanIds);
    const delivered = await eventually(() => expected.every((id) => sink.spanArrivals.has(id)), 10_000);
    assert.ok(delivered, `${expected.filter((id) => !sink.spanArrivals.has(id)).length} accepted spans never arrived`);
    for (const request of refused) for (const id of request.spanIds) assert.ok(!sink.spanArrivals.has(id), 'a refused span was delivered');
    assert.equal(
      [...sink.spanArrivals.values()].reduce((a, b) => a + b, 0),
      expected.length,
      'no span arrived twice',
    );

    const settled = await eventually(async () => {
      const text = await (await fetch(endpoints.metricsUrl)).text();
      return metricValue(text, 'otelcol_exporter_sent_spans_total', { exporter: 'otlphttp' }) === expected.length;
    }, 5_000);
    assert.ok(settled, 'sent counter matches the spans the sink received');
    const text = await (await fetch(endpoints.metricsUrl)).text();
    assert.equal(metricValue(text, 'otelcol_exporter_queue_size', { exporter: 'otlphttp' }), 0);
    assert.equal(metricValue(text, 'otelcol_exporter_send_failed_spans_total', { exporter: 'otlphttp' }), 0);
    assert.equal((await fetch(endpoints.healthUrl)).status, 200, 'healthy again once delivery works');
  });
});
