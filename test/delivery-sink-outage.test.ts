import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { freePort } from './helpers/free-port.js';
import {
  eventually,
  launchCollector,
  makeTraffic,
  metricValue,
  postTraces,
  startGrpcSink,
  startHttpSink,
  type CollectorProcess,
  type OtlpSink,
  type TrafficRequest,
} from './delivery-sink.js';

const OUTAGE_MS = 10_000;

/**
 * Both downstream OTLP sinks (HTTP and gRPC) fail for 10 s while traffic keeps flowing, then
 * recover: every span the collector acknowledged arrives, and the decision records (written to
 * the embedded store meanwhile) exist once each.
 */
describe('a downstream OTLP sink answering 503 / UNAVAILABLE for 10 s', () => {
  let httpSink: OtlpSink;
  let grpcSink: OtlpSink;
  let collector: CollectorProcess;
  let otlpUrl: string;
  let apiUrl: string;
  let metricsUrl: string;
  const accepted: TrafficRequest[] = [];
  let refusals = 0;

  before(async () => {
    httpSink = await startHttpSink();
    grpcSink = await startGrpcSink();
    const [http, api, metrics] = [await freePort(), await freePort(), await freePort()];
    otlpUrl = `http://127.0.0.1:${http}`;
    apiUrl = `http://127.0.0.1:${api}`;
    metricsUrl = `http://127.0.0.1:${metrics}/metrics`;
    const dir = mkdtempSync(join(tmpdir(), 'dt-sink-outage-'));
    const db = join(dir, 'decisions.db');
    const configFile = join(dir, 'collector-config.yaml');
    const retry = `
    retry_on_failure:
      initial_interval: 300ms
      max_interval: 1s
      max_elapsed_time: 60s`;
    writeFileSync(
      configFile,
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
processors:
  decision: {}
exporters:
  decisions:
    storage: sqlite:${db}
  otlphttp:
    endpoint: ${httpSink.url}${retry}
  otlp:
    endpoint: ${grpcSink.url}
    tls:
      insecure: true${retry}
extensions:
  decision_api:
    endpoint: 127.0.0.1:${api}
    storage: sqlite:${db}
service:
  extensions: [decision_api]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions, otlphttp, otlp]
  telemetry:
    logs:
      level: error
    metrics:
      address: 127.0.0.1:${metrics}
`,
    );
    collector = await launchCollector(configFile, `${apiUrl}/v1/decisions?limit=1`);
  });

  after(async () => {
    await collector?.stop();
    await httpSink?.close();
    await grpcSink?.close();
  });

  test('every acknowledged span reaches both sinks; every decision is recorded exactly once', { timeout: 60_000 }, async () => {
    httpSink.failWith({ status: 503, retryAfter: '1' });
    grpcSink.failWith({ status: grpcStatus.UNAVAILABLE });
    const outageEnds = Date.now() + OUTAGE_MS;
    setTimeout(() => {
      httpSink.failWith(undefined);
      grpcSink.failWith(undefined);
    }, OUTAGE_MS);

    // Traffic through the outage and a little after it.
    while (Date.now() < outageEnds + 1_000) {
      const traffic = makeTraffic(8, 2);
      const answer = await postTraces(otlpUrl, traffic.body);
      if (answer.status === 200) accepted.push(traffic);
      else refusals += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(accepted.length > 50, `only ${accepted.length} requests were accepted`);
    assert.equal(refusals, 0, 'the queues absorbed the outage: nothing was refused');
    assert.ok(httpSink.refusedAttempts > 0 && grpcSink.refusedAttempts > 0, 'both sinks did refuse during the outage');

    const spanIds = accepted.flatMap((t) => t.spanIds);
    for (const sink of [httpSink, grpcSink]) {
      const arrived = await eventually(() => spanIds.every((id) => sink.spanArrivals.has(id)), 15_000);
      const missing = spanIds.filter((id) => !sink.spanArrivals.has(id)).length;
      assert.ok(arrived, `${missing} of ${spanIds.length} spans never reached ${sink.url}`);
    }

    const decisionIds = accepted.flatMap((t) => t.decisionIds);
    const res = await fetch(`${apiUrl}/v1/decisions?type=refund.approve&limit=1000`);
    const records = ((await res.json()) as { decisions: Array<{ id: string }> }).decisions;
    assert.equal(records.length, decisionIds.length, 'one record per decision, no duplicates');
    assert.deepEqual(new Set(records.map((r) => r.id)), new Set(decisionIds));

    const text = await (await fetch(metricsUrl)).text();
    for (const exporter of ['otlphttp', 'otlp']) {
      assert.ok((metricValue(text, 'otelcol_exporter_retries_total', { exporter }) ?? 0) > 0, `${exporter} retried`);
      assert.equal(metricValue(text, 'otelcol_exporter_send_failed_spans_total', { exporter }), 0, `${exporter} gave nothing up`);
    }
  });
});
