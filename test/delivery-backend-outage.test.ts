import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/free-port.js';
import {
  collectorEndpoints,
  eventually,
  launchCollector,
  launchTestCollector,
  makeTraffic,
  metricValue,
  postTraces,
  startHttpSink,
  writeBackendConfig,
  type CollectorProcess,
  type OtlpSink,
} from './delivery-sink.js';

const OUTAGE_MS = 10_000;

/**
 * The remote decision backend goes away for 10 s while traffic flows: span forwarding to the
 * OTLP sink goes on as if nothing happened, and the decisions queued meanwhile reach the
 * backend once it is back, each exactly once.
 */
describe('the remote decision backend down for 10 s', () => {
  let sink: OtlpSink;
  let front: CollectorProcess;
  let backend: CollectorProcess | undefined;
  let backendFile: string;
  let backendApi: string;
  let otlpUrl: string;
  let metricsUrl: string;

  before(async () => {
    sink = await startHttpSink();
    const dir = mkdtempSync(join(tmpdir(), 'dt-backend-outage-'));
    const [apiPort, backendOtlp] = await Promise.all([freePort(), freePort()]);
    backendApi = `http://127.0.0.1:${apiPort}`;
    backendFile = writeBackendConfig(dir, apiPort, backendOtlp);
    backend = await launchCollector(backendFile, `${backendApi}/v1/decisions?limit=1`);

    const endpoints = await collectorEndpoints();
    otlpUrl = endpoints.otlpUrl;
    metricsUrl = endpoints.metricsUrl;
    front = await launchTestCollector(join(dir, 'front.yaml'), endpoints, {
      components: `processors:
  decision: {}
exporters:
  decisions:
    endpoint: ${backendApi}
    api_key: test-key
    retry_on_failure:
      initial_interval: 300ms
      max_interval: 1s
      max_elapsed_time: 0
  otlphttp:
    endpoint: ${sink.url}
`,
      pipelines: `    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions, otlphttp]
`,
      metrics: true,
    });
  });

  after(async () => {
    await front?.stop();
    await backend?.stop();
    await sink?.close();
  });

  test('spans flow on undisturbed; decisions arrive after the backend is back, once each', { timeout: 60_000 }, async () => {
    const decisionIds: string[] = [];
    const spanLatencies: number[] = [];
    const pendingSpans = new Map<string, number>();
    const watcher = setInterval(() => {
      for (const [id, ackedAt] of pendingSpans) {
        if (sink.spanArrivals.has(id)) {
          spanLatencies.push(Date.now() - ackedAt);
          pendingSpans.delete(id);
        }
      }
    }, 20);

    const started = Date.now();
    let outageStarted = 0;
    let restartedAt = 0;
    let refusals = 0;
    let acceptedDuringOutage = 0;
    let stopping: Promise<unknown> | undefined;
    let restarting: Promise<unknown> | undefined;
    while (restartedAt === 0 || Date.now() - restartedAt < 1_500) {
      // The backend goes down (and comes back) beside the traffic, which never waits for it.
      if (!stopping && Date.now() - started > 1_500) {
        outageStarted = Date.now();
        stopping = backend!.stop();
        backend = undefined;
      }
      if (stopping && !restarting && Date.now() - outageStarted > OUTAGE_MS) {
        restarting = stopping
          .then(() => launchCollector(backendFile, `${backendApi}/v1/decisions?limit=1`))
          .then((started) => {
            backend = started;
            restartedAt = Date.now();
          });
      }
      const traffic = makeTraffic(6, 2);
      const answer = await postTraces(otlpUrl, traffic.body);
      if (answer.status !== 200) {
        refusals += 1;
        continue;
      }
      if (outageStarted > 0 && restartedAt === 0) acceptedDuringOutage += 1;
      const ackedAt = Date.now();
      for (const id of traffic.spanIds) pendingSpans.set(id, ackedAt);
      decisionIds.push(...traffic.decisionIds);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(refusals, 0, 'the client was never refused');
    assert.ok(acceptedDuringOutage > 20, `only ${acceptedDuringOutage} requests during the outage`);

    assert.ok(await eventually(() => pendingSpans.size === 0, 5_000), `${pendingSpans.size} spans never reached the sink`);
    clearInterval(watcher);
    spanLatencies.sort((a, b) => a - b);
    const p99 = spanLatencies[Math.floor(spanLatencies.length * 0.99)];
    assert.ok(p99 < 1_000, `span forwarding slowed down during the outage: p99 ${p99} ms`);

    const arrived = await eventually(
      async () => {
        const res = await fetch(`${backendApi}/v1/decisions?type=refund.approve&limit=1000`).catch(() => undefined);
        if (!res?.ok) return false;
        return ((await res.json()) as { decisions: unknown[] }).decisions.length >= decisionIds.length;
      },
      15_000,
      250,
    );
    if (!arrived) {
      const metricsText = await (await fetch(metricsUrl)).text();
      const count = ((await (await fetch(`${backendApi}/v1/decisions?type=refund.approve&limit=1000`)).json()) as { decisions: unknown[] }).decisions.length;
      assert.fail(
        `backend has ${count} of ${decisionIds.length}\n${metricsText
          .split('\n')
          .filter((l) => l.includes('decisions'))
          .join('\n')}`,
      );
    }
    const records = (
      (await (await fetch(`${backendApi}/v1/decisions?type=refund.approve&limit=1000`)).json()) as {
        decisions: Array<{ id: string; outcome: string; tenant: string }>;
      }
    ).decisions;
    assert.equal(records.length, decisionIds.length, 'no decision twice');
    assert.deepEqual(new Set(records.map((r) => r.id)), new Set(decisionIds));
    assert.ok(records.every((r) => r.tenant === 'acme' && (r.outcome === 'approved' || r.outcome === 'denied')));

    const text = await (await fetch(metricsUrl)).text();
    assert.equal(metricValue(text, 'otelcol_exporter_retries_total', { exporter: 'otlphttp' }), 0, 'the OTLP exporter never had to retry');
    assert.ok((metricValue(text, 'otelcol_exporter_retries_total', { exporter: 'decisions' }) ?? 0) > 0, 'the decisions exporter retried');
    assert.equal(metricValue(text, 'otelcol_exporter_sent_decision_events_total', { exporter: 'decisions' }), decisionIds.length);
    assert.equal(metricValue(text, 'otelcol_exporter_send_failed_decision_events_total', { exporter: 'decisions' }), 0);
  });
});
