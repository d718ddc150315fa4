import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { testCollectorConfig } from './helpers/test-config.js';
import { eventually } from './delivery-sink.js';
import { RefundDecisions } from './helpers/refund-decisions.js';

/**
 * decision_anomaly with `storage: file_storage` (issue #20, item 3): the baselines a collector
 * learnt survive its restart. A real collector process learns that 60 % of refunds are approved,
 * stops; a new process on the same storage directory sees 80 % approved and raises the alert
 * against the baseline learnt before the restart (without the saved state it would learn the
 * 80 % as its baseline and stay quiet for the 400 decisions sent). A damaged state file is
 * reported and the collector starts fresh.
 */

const dir = mkdtempSync(join(tmpdir(), 'dt-anomaly-restart-'));
const storageDir = join(dir, 'state');
const stateFile = join(storageDir, 'decision_anomaly~metrics.json');
let collector: RunningCollector | undefined;

after(async () => {
  await collector?.stop();
});

async function start(): Promise<RunningCollector> {
  const prometheus = await freePort();
  return startCollector({
    dir,
    config: (ports) =>
      testCollectorConfig(ports, {
        connectors: { decision_anomaly: { storage: 'file_storage/anomaly', storage_save_interval: '200ms', metrics_flush_interval: '200ms' } },
        exporters: { prometheus: { endpoint: `127.0.0.1:${prometheus}` } },
        extensions: { 'file_storage/anomaly': { directory: storageDir, create_directory: true } },
        service: {
          extensions: ['decision_api', 'file_storage/anomaly'],
          telemetry: { logs: { level: 'info' } },
          pipelines: {
            traces: { receivers: ['otlp'], processors: ['decision'], exporters: ['decisions', 'decision_anomaly'] },
            metrics: { receivers: ['decision_anomaly'], exporters: ['prometheus'] },
          },
        },
      }),
  });
}

const refunds = new RefundDecisions();

/** `count` refund decisions from an application on the OpenTelemetry SDK, approving with probability `rate`. */
async function decide(url: string, count: number, rate: number): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  await refunds.send(provider.getTracer('refund-app'), () => provider.forceFlush(), count, rate);
  await provider.shutdown();
}

type LoggedAlert = {
  alert: {
    signal: string;
    subject: string;
    direction: string;
    baseline: { count: number; rate?: number };
    current: { count: number; rate?: number };
    example_decision_ids: string[];
  };
};
const alertsIn = (logs: string): LoggedAlert[] =>
  logs
    .split('\n')
    .filter((line) => line.includes('"msg":"decision anomaly'))
    .map((line) => JSON.parse(line) as LoggedAlert);

type SavedState = { monitors: { streams: Array<{ mix: { baseline?: unknown; window: string[] } }> } };
const saved = (): SavedState | undefined => (existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as SavedState) : undefined);

test('a shift after a restart is found against the baseline learnt before it', { timeout: 180_000 }, async () => {
  collector = await start();
  await decide(collector.otlpHttpUrl, 1000, 0.6);
  // The periodic save has seen all 1000 decisions: a baseline, and a full window of the outcome mix.
  const learnt = await eventually(() => saved()?.monitors.streams[0]?.mix.window.length === 300, 30_000);
  assert.ok(learnt, `state not saved: ${JSON.stringify(saved())?.slice(0, 400)}\n${collector.logs()}`);
  assert.deepEqual(alertsIn(collector.logs()), [], 'no alert on the stable stream');
  assert.equal(await collector.stop(), 0);

  collector = await start();
  await decide(collector.otlpHttpUrl, 400, 0.8);
  let alerts: LoggedAlert[] = [];
  const raised = await eventually(() => (alerts = alertsIn(collector!.logs())).length > 0, 30_000);
  assert.ok(raised, `no alert after the restart:\n${collector.logs()}`);
  assert.equal(alerts.length, 1, JSON.stringify(alerts));
  const { alert } = alerts[0]!;
  assert.match(alert.signal, /^outcome_(rate|mix)$/);
  // The baseline is the one learnt before the restart (500 decisions at about 60 % approved).
  assert.equal(alert.baseline.count, 500);
  if (alert.baseline.rate !== undefined)
    assert.ok(Math.abs(alert.baseline.rate - (alert.subject === 'approved' ? 0.6 : 0.4)) < 0.06, `baseline ${alert.baseline.rate}`);
  assert.ok(
    alert.example_decision_ids.every((id) => Number(id.split('-').pop()) > 1000),
    'the examples are decisions sent after the restart',
  );
  assert.match(collector.logs(), /decision_anomaly baselines restored/);
});

test('a damaged state file is reported and ignored: the collector starts with fresh baselines and saves over it', { timeout: 120_000 }, async () => {
  assert.equal(await collector!.stop(), 0);
  writeFileSync(stateFile, '{"format":"decision_anomaly/1","monitors":{"streams":[{"tenant":');
  collector = await start();
  assert.match(collector.logs(), /the saved decision_anomaly state is not JSON .*: starting with fresh baselines/);
  assert.doesNotMatch(collector.logs(), /baselines restored/);
  assert.ok((await fetch(`${collector.apiUrl}/v1/decisions?limit=1`)).ok, 'the collector runs');
  assert.equal(await collector.stop(), 0);
  assert.deepEqual(saved()?.monitors.streams, [], 'the fresh (empty) state replaced the damaged file');
  collector = undefined;
});
