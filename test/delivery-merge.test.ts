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
  startGrpcSink,
  startHttpSink,
  type CollectorEndpoints,
  type CollectorProcess,
  type OtlpSink,
  type TrafficRequest,
} from './delivery-sink.js';

const REQUESTS = 20;
const SPANS = 5;
const CONSUMERS = 2;

/**
 * Merging in the sending queue (`sending_queue.merge`): a real collector process forwarding
 * OTLP/HTTP to a sink that answers slowly, so requests wait in the queue behind the ones in
 * flight. A consumer coming back takes every waiting request and sends them as one: fewer,
 * larger requests holding exactly the spans that were sent, each once; a merged request shares
 * one fate (dropped and counted as a whole, retried as a whole, acknowledged in the journal only
 * after it was delivered).
 */
describe('sending queue: waiting requests are merged into one export request', () => {
  let sink: OtlpSink;
  let collector: CollectorProcess | undefined;
  let dir: string;
  let endpoints: CollectorEndpoints;

  before(async () => {
    sink = await startHttpSink();
    dir = mkdtempSync(join(tmpdir(), 'dt-merge-'));
    endpoints = await collectorEndpoints();
  });

  after(async () => {
    await collector?.stop();
    await sink?.close();
  });

  async function start(storage?: string): Promise<void> {
    collector = await launchTestCollector(join(dir, storage ? 'persistent.yaml' : 'memory.yaml'), endpoints, {
      components: `exporters:
  otlphttp:
    endpoint: ${sink.url}
    sending_queue:
      num_consumers: ${CONSUMERS}${storage ? `\n      storage: ${storage}` : ''}
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 0`,
      pipelines: `    traces:
      receivers: [otlp]
      exporters: [otlphttp]`,
      service: '  shutdown_timeout: 1s',
      metrics: true,
    });
  }

  /** Posts the traffic while the sink holds the first requests: the rest wait in the queue. Returns the release. */
  async function queueBehindSlowSink(): Promise<{ traffic: TrafficRequest[]; release: () => void }> {
    const release = sink.hold();
    const traffic: TrafficRequest[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const request = makeTraffic(SPANS, 0, 'merge-test');
      assert.equal((await postTraces(endpoints.otlpUrl, request.body)).status, 200);
      traffic.push(request);
    }
    assert.ok(await eventually(() => sink.held === CONSUMERS, 10_000, 10), `${sink.held} requests in flight, expected ${CONSUMERS}`);
    return { traffic, release };
  }

  async function metric(name: string): Promise<number> {
    return metricValue(await (await fetch(endpoints.metricsUrl)).text(), name, { exporter: 'otlphttp' }) ?? 0;
  }

  test('a slow sink gets fewer, larger requests holding exactly the spans sent, each once', { timeout: 60_000 }, async () => {
    await start();
    const before = sink.requests.length;
    const { traffic, release } = await queueBehindSlowSink();
    release();
    const spanIds = traffic.flatMap((t) => t.spanIds);
    assert.ok(await eventually(() => spanIds.every((id) => sink.spanArrivals.has(id)), 15_000), 'every span arrives');
    await new Promise((r) => setTimeout(r, 300));
    const requests = sink.requests.slice(before);
    // Two in flight alone, then the 18 waiting ones together (a second consumer may split them once).
    assert.ok(requests.length <= CONSUMERS + 2, `${requests.length} export requests for ${REQUESTS} queued requests`);
    const largest = Math.max(...requests.map((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length));
    assert.ok(largest >= ((REQUESTS - CONSUMERS) / 2) * SPANS, `the largest request held ${largest} spans`);
    const arrived = requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId))));
    assert.deepEqual([...arrived].sort(), [...spanIds].sort(), 'exactly the spans sent, none twice');
    assert.equal(await metric('otelcol_exporter_sent_spans_total'), REQUESTS * SPANS);
  });

  test('a merged request refused permanently is dropped, all its spans counted as failed', { timeout: 60_000 }, async () => {
    const failedBefore = await metric('otelcol_exporter_send_failed_spans_total');
    const refusedBefore = sink.refusedAttempts;
    const { traffic, release } = await queueBehindSlowSink();
    sink.failWith({ status: 400 });
    release();
    assert.ok(
      await eventually(async () => (await metric('otelcol_exporter_send_failed_spans_total')) - failedBefore === REQUESTS * SPANS, 15_000),
      'every span of the refused requests is counted in send_failed',
    );
    // The two held requests, then one merged request for the 18 others: refused once, not retried.
    assert.ok(sink.refusedAttempts - refusedBefore <= CONSUMERS + 2, `${sink.refusedAttempts - refusedBefore} refused attempts`);
    assert.ok(traffic.every((t) => t.spanIds.every((id) => !sink.spanArrivals.has(id))));
    sink.failWith(undefined);
  });

  test('a retryable refusal retries the merged request until it is delivered', { timeout: 60_000 }, async () => {
    const retriesBefore = await metric('otelcol_exporter_retries_total');
    const before = sink.requests.length;
    const { traffic, release } = await queueBehindSlowSink();
    sink.failWith({ status: 503 });
    const refusedBefore = sink.refusedAttempts;
    release();
    assert.ok(await eventually(() => sink.refusedAttempts - refusedBefore >= CONSUMERS + 2, 15_000, 10), 'refused, then retried');
    sink.failWith(undefined);
    const spanIds = traffic.flatMap((t) => t.spanIds);
    assert.ok(await eventually(() => spanIds.every((id) => sink.spanArrivals.get(id) === 1), 15_000), 'every span arrives once');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(sink.requests.length - before <= CONSUMERS + 2, `${sink.requests.length - before} delivered requests`);
    assert.ok(
      spanIds.every((id) => sink.spanArrivals.get(id) === 1),
      'no span twice',
    );
    assert.ok((await metric('otelcol_exporter_retries_total')) > retriesBefore);
    await collector!.stop();
    collector = undefined;
  });

  test('persistent queue: killed during a merged export, every span arrives after the restart', { timeout: 60_000 }, async () => {
    const storage = join(dir, 'queue');
    await start(storage);
    const first = await queueBehindSlowSink();
    // The 18 waiting requests leave merged; the sink holds that one too, and the collector dies.
    const second = sink.hold();
    first.release();
    assert.ok(await eventually(() => sink.held === 1, 10_000, 10), 'the merged request is in flight');
    const mergedSpans = sink.requests.length;
    await collector!.kill9();
    collector = undefined;
    // The answer never reaches the dead collector; the sink records nothing of it.
    sink.failWith({ status: 503 });
    second();
    await new Promise((r) => setTimeout(r, 100));
    sink.failWith(undefined);
    assert.equal(sink.requests.length, mergedSpans);

    await start(storage);
    const spanIds = first.traffic.flatMap((t) => t.spanIds);
    assert.ok(
      await eventually(() => spanIds.every((id) => sink.spanArrivals.has(id)), 15_000),
      `${spanIds.filter((id) => !sink.spanArrivals.has(id)).length} acknowledged spans lost`,
    );
    await new Promise((r) => setTimeout(r, 300));
    // At least once: the requests delivered before the kill may come again; the merged one, never delivered, comes once.
    const merged = first.traffic.slice(CONSUMERS).flatMap((t) => t.spanIds);
    assert.ok(
      merged.every((id) => sink.spanArrivals.get(id) === 1),
      'the merged requests arrive exactly once',
    );
  });
});

/**
 * The same merging in each backend's queue of `load_balancing` (its `protocol.otlp.sending_queue`):
 * a backend that answers slowly gets the requests that waited for it as one gRPC export.
 */
describe('load_balancing: a backend’s waiting requests are merged into one export', () => {
  let backend: OtlpSink;
  let collector: CollectorProcess | undefined;
  let endpoints: CollectorEndpoints;

  before(async () => {
    backend = await startGrpcSink();
    endpoints = await collectorEndpoints();
    collector = await launchTestCollector(join(mkdtempSync(join(tmpdir(), 'dt-lb-merge-')), 'collector.yaml'), endpoints, {
      components: `exporters:
  load_balancing:
    protocol:
      otlp:
        tls: { insecure: true }
        sending_queue: { num_consumers: 1 }
    resolver:
      static: { hostnames: ['${backend.url}'] }`,
      pipelines: `    traces:
      receivers: [otlp]
      exporters: [load_balancing]`,
    });
  });

  after(async () => {
    await collector?.stop();
    await backend?.close();
  });

  test('a slow backend gets the waiting requests as one, every span once', { timeout: 60_000 }, async () => {
    const release = backend.hold();
    const traffic: TrafficRequest[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const request = makeTraffic(SPANS, 0, 'lb-merge-test');
      assert.equal((await postTraces(endpoints.otlpUrl, request.body)).status, 200);
      traffic.push(request);
    }
    assert.ok(await eventually(() => backend.held === 1, 10_000, 10), `${backend.held} requests in flight, expected 1`);
    release();
    const spanIds = traffic.flatMap((t) => t.spanIds);
    assert.ok(await eventually(() => spanIds.every((id) => backend.spanArrivals.has(id)), 15_000), 'every span arrives');
    await new Promise((r) => setTimeout(r, 300));
    // The first request alone, then the 19 that waited behind it together (one more if a request came in late).
    assert.ok(backend.requests.length <= 3, `${backend.requests.length} export requests for ${REQUESTS} requests`);
    assert.ok(
      spanIds.every((id) => backend.spanArrivals.get(id) === 1),
      'no span twice',
    );
  });
});
