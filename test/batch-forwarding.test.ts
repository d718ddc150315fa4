import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { CollectorService, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { eventually, makeTraffic, postTraces, startHttpSink, type OtlpSink } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';

/**
 * The batch processor in a pass-through (#19): OTLP/HTTP → batch → otlphttp. Where the exporter
 * acknowledges from memory (its default in-memory sending queue), the processor batches every
 * span, decision spans too, as the Collector's batch processor does: a few large exports instead
 * of one per received request, written from the bytes the requests arrived in. Where an exporter
 * does not (a persistent queue), decision spans still pass straight on. Real collector service in
 * process, real OTLP/HTTP receiver, otlphttp exporter and an HTTP sink.
 */

async function startService(sink: OtlpSink, batch: string, queue = ''): Promise<{ service: CollectorService; url: string }> {
  const port = await freePort();
  const config = parseCollectorConfig(
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
processors:
  batch: ${batch}
exporters:
  otlphttp:
    endpoint: ${sink.url}
    compression: none
    retry_on_failure: { enabled: false }
${queue}service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
  telemetry:
    metrics:
      level: none
`,
    defaultComponents(),
    {},
  );
  const service = new CollectorService(config, pino({ level: 'silent' }));
  await service.start();
  return { service, url: `http://127.0.0.1:${port}` };
}

const spansOf = (bodies: readonly Buffer[]) =>
  bodies.flatMap((body) => decodeTraceRequestProtobuf(body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));

describe('the batch processor in a pass-through', () => {
  const services: CollectorService[] = [];
  const sinks: OtlpSink[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const service of services) await service.shutdown();
    for (const sink of sinks) await sink.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('an in-memory queue behind it: requests with decision spans merged into send_batch_size exports, their bytes concatenated', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const { service, url } = await startService(sink, '{ send_batch_size: 100, timeout: 10s }');
    services.push(service);
    const bodies = Array.from({ length: 10 }, () => makeTraffic(20, 2).body);
    for (const body of bodies) assert.equal((await postTraces(url, body)).status, 200, 'acknowledged without waiting for the batch');
    assert.ok(await eventually(() => sink.requests.length === 2, 10_000), `the sink got ${sink.requests.length} exports`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.requests.length, 2, 'two exports of send_batch_size spans for ten requests');
    // Whole received requests in each batch: the export is their bodies one after another.
    assert.ok(sink.requests[0].body.equals(Buffer.concat(bodies.slice(0, 5))), 'the first five requests, as received');
    assert.ok(sink.requests[1].body.equals(Buffer.concat(bodies.slice(5))), 'the last five requests, as received');
  });

  test('send_batch_max_size cuts inside a request: every span arrives once, in order, the whole requests as received', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const { service, url } = await startService(sink, '{ send_batch_size: 30, send_batch_max_size: 30, timeout: 300ms }');
    services.push(service);
    const bodies = Array.from({ length: 5 }, () => makeTraffic(20, 2).body);
    for (const body of bodies) assert.equal((await postTraces(url, body)).status, 200);
    assert.ok(await eventually(() => sink.spanArrivals.size === 100, 10_000), `the sink got ${sink.spanArrivals.size} spans`);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepStrictEqual(
      sink.requests.map((r) => spansOf([r.body]).length),
      [30, 30, 30, 10],
    );
    assert.deepStrictEqual(spansOf(sink.requests.map((r) => r.body)), spansOf(bodies), 'every span once, in order, unchanged');
    assert.ok([...sink.spanArrivals.values()].every((n) => n === 1));
    // The first export starts with the first request whole, as it was received.
    assert.ok(sink.requests[0].body.subarray(0, bodies[0].length).equals(bodies[0]));
  });

  test('a persistent queue behind it: decision spans still pass straight on, only context spans wait', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const dir = mkdtempSync(join(tmpdir(), 'dt-batch-forwarding-'));
    dirs.push(dir);
    const queue = `    sending_queue:\n      storage: ${join(dir, 'queue')}\n`;
    const { service, url } = await startService(sink, '{ send_batch_size: 1000, timeout: 30s }', queue);
    services.push(service);
    const traffic = Array.from({ length: 5 }, () => makeTraffic(20, 2));
    for (const { body } of traffic) assert.equal((await postTraces(url, body)).status, 200);
    assert.ok(await eventually(() => sink.spanArrivals.size === 10, 10_000), `the sink got ${sink.spanArrivals.size} spans`);
    await new Promise((r) => setTimeout(r, 200));
    const decisionSpanIds = traffic.flatMap((t) => t.spanIds.slice(0, 2));
    assert.deepStrictEqual([...sink.spanArrivals.keys()].sort(), decisionSpanIds.sort(), 'the decision spans, and nothing else yet');
  });
});
