import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/free-port.js';
import {
  eventually,
  launchCollector,
  makeTraffic,
  postTraces,
  startHttpSink,
  writeBackendConfig,
  type CollectorProcess,
  type OtlpSink,
  type TrafficRequest,
} from './delivery-sink.js';

interface DecisionList {
  decisions: Array<{ id: string; event_count: number }>;
}

async function decisionsAt(api: string): Promise<DecisionList['decisions'] | undefined> {
  const res = await fetch(`${api}/v1/decisions?type=refund.approve&limit=1000`).catch(() => undefined);
  if (!res?.ok) return undefined;
  return ((await res.json()) as DecisionList).decisions;
}

/**
 * Persistent sending queues: what the collector acknowledged survives `kill -9` and a graceful
 * stop that runs out of time, and is delivered after the restart: every span to the OTLP sink,
 * every decision to the remote backend and the embedded store, none of them twice.
 */
describe('persistent sending queues across a crash and a restart', () => {
  let sink: OtlpSink;
  let backend: CollectorProcess | undefined;
  let front: CollectorProcess | undefined;
  let dir: string;
  let frontFile: string;
  let frontApi: string;
  let backendApi: string;
  let backendFile: string;
  let otlpUrl: string;
  let healthUrl: string;

  before(async () => {
    sink = await startHttpSink();
    dir = mkdtempSync(join(tmpdir(), 'dt-crash-'));
    const [apiPort, backendOtlp, http, api, health] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    backendApi = `http://127.0.0.1:${apiPort}`;
    backendFile = writeBackendConfig(dir, apiPort, backendOtlp);
    otlpUrl = `http://127.0.0.1:${http}`;
    frontApi = `http://127.0.0.1:${api}`;
    healthUrl = `http://127.0.0.1:${health}/`;
    const queue = join(dir, 'queue');
    const retry = `
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 0`;
    frontFile = join(dir, 'front.yaml');
    writeFileSync(
      frontFile,
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
processors:
  decision: {}
exporters:
  decisions/local:
    storage: sqlite:${join(dir, 'front.db')}
  decisions/remote:
    endpoint: ${backendApi}
    sending_queue:
      storage: ${queue}${retry}
  otlphttp:
    endpoint: ${sink.url}
    sending_queue:
      storage: ${queue}${retry}
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
  decision_api:
    endpoint: 127.0.0.1:${api}
    storage: sqlite:${join(dir, 'front.db')}
service:
  extensions: [health_check, decision_api]
  shutdown_timeout: 1s
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions/local, decisions/remote, otlphttp]
  telemetry:
    logs:
      level: error
    metrics:
      level: none
`,
    );
  });

  after(async () => {
    await front?.stop();
    await backend?.stop();
    await sink?.close();
  });

  test('kill -9 under load: after the restart every acknowledged span and decision is delivered', { timeout: 60_000 }, async () => {
    // Neither destination works yet, so everything acknowledged sits in the queues.
    sink.failWith({ status: 503 });
    front = await launchCollector(frontFile, healthUrl);
    const acknowledged: TrafficRequest[] = [];
    let stop = false;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const traffic = makeTraffic(10, 3);
        const answer = await postTraces(otlpUrl, traffic.body).catch(() => undefined);
        if (answer?.status === 200) acknowledged.push(traffic);
      }
    });
    await eventually(() => acknowledged.length >= 100, 15_000, 10);
    await front.kill9();
    stop = true;
    await Promise.all(workers);
    front = undefined;
    assert.ok(acknowledged.length >= 100, `only ${acknowledged.length} requests acknowledged before the kill`);

    sink.failWith(undefined);
    backend = await launchCollector(backendFile, `${backendApi}/v1/decisions?limit=1`);
    front = await launchCollector(frontFile, healthUrl);

    const spanIds = acknowledged.flatMap((t) => t.spanIds);
    const decisionIds = acknowledged.flatMap((t) => t.decisionIds);
    assert.ok(
      await eventually(() => spanIds.every((id) => sink.spanArrivals.has(id)), 15_000),
      `${spanIds.filter((id) => !sink.spanArrivals.has(id)).length} spans lost`,
    );
    for (const api of [backendApi, frontApi]) {
      const complete = await eventually(
        async () => {
          const stored = new Set((await decisionsAt(api))?.map((d) => d.id));
          return decisionIds.every((id) => stored.has(id));
        },
        15_000,
        200,
      );
      const stored = (await decisionsAt(api)) ?? [];
      const ids = new Set(stored.map((d) => d.id));
      assert.ok(complete, `${decisionIds.filter((id) => !ids.has(id)).length} acknowledged decisions missing at ${api}`);
      assert.ok(
        stored.every((d) => d.event_count === 1),
        'a redelivered decision event was stored twice',
      );
    }
  });

  test('a graceful stop that runs out of shutdown_timeout leaves the rest on disk for the next start', { timeout: 60_000 }, async () => {
    sink.failWith({ status: 503 });
    const acknowledged: TrafficRequest[] = [];
    for (let i = 0; i < 10; i++) {
      const traffic = makeTraffic(5, 1);
      const answer = await postTraces(otlpUrl, traffic.body);
      assert.equal(answer.status, 200);
      acknowledged.push(traffic);
    }
    const stoppedAt = Date.now();
    assert.equal(await front!.stop(), 0, 'a clean exit');
    front = undefined;
    assert.ok(Date.now() - stoppedAt < 5_000, `stopping took ${Date.now() - stoppedAt} ms with shutdown_timeout 1s`);
    assert.ok(
      readdirSync(join(dir, 'queue', 'otlphttp')).some((f) => f.endsWith('.log')),
      'the queue journal is on disk',
    );

    sink.failWith(undefined);
    front = await launchCollector(frontFile, healthUrl);
    const spanIds = acknowledged.flatMap((t) => t.spanIds);
    assert.ok(await eventually(() => spanIds.every((id) => sink.spanArrivals.has(id)), 10_000), 'spans left at shutdown arrive after the restart');
  });
});
