import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { eventually, launchCollector, type CollectorProcess } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';
import { readFileExporterLines, skipWithoutOtelcol, startOtelcol, type RunningOtelcol } from './helpers/otelcol.js';
import { RefundDecisions } from './helpers/refund-decisions.js';

/**
 * The decision_anomaly connector end to end (issue #20, item 3): an application on the real
 * OpenTelemetry SDK approves 60 % of its refunds, then 80 %; our collector (otlp → decision →
 * decision_anomaly with its default settings → prometheus, and → otlphttp as OTLP log records to
 * the real OpenTelemetry Collector when it is here) raises one alert for the shift, with its
 * evidence, and none before it.
 */

const otelcolMissing = skipWithoutOtelcol();

let collector: CollectorProcess;
let provider: BasicTracerProvider;
let tracer: Tracer;
let scrapeUrl: string;
let otelcol: RunningOtelcol | undefined;
let logsFile: string;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-decision-anomaly-'));
  const [receiverHttp, promPort, healthPort, otelcolHttp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  logsFile = join(dir, 'logs.jsonl');
  if (!otelcolMissing) {
    otelcol = await startOtelcol({
      receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${otelcolHttp}` } } } },
      exporters: { file: { path: logsFile, flush_interval: '100ms' } },
      service: { pipelines: { logs: { receivers: ['otlp'], exporters: ['file'] } } },
    });
  }
  // The logs pipeline only when there is a Collector to receive its records.
  const logs = otelcol
    ? `    logs:
      receivers: [decision_anomaly]
      exporters: [otlphttp]
`
    : '';
  const configFile = join(dir, 'collector.yaml');
  writeFileSync(
    configFile,
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverHttp}
processors:
  decision: {}
connectors:
  decision_anomaly:
    metrics_flush_interval: 200ms
exporters:
  prometheus:
    endpoint: 127.0.0.1:${promPort}
  otlphttp:
    endpoint: http://127.0.0.1:${otelcolHttp}
extensions:
  health_check:
    endpoint: 127.0.0.1:${healthPort}
service:
  extensions: [health_check]
  telemetry: { logs: { level: warn }, metrics: { level: none } }
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decision_anomaly]
    metrics:
      receivers: [decision_anomaly]
      exporters: [prometheus]
${logs}`,
  );
  collector = await launchCollector(configFile, `http://127.0.0.1:${healthPort}/`);
  scrapeUrl = `http://127.0.0.1:${promPort}/metrics`;
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${receiverHttp}/v1/traces` }))],
  });
  tracer = provider.getTracer('refund-app');
});

after(async () => {
  await provider?.shutdown();
  await collector?.stop();
  await otelcol?.stop();
});

const refunds = new RefundDecisions((random) => ({ 'decision.policy.refund_limit': random() < 0.9 ? 'pass' : 'fail' }));

/** `count` refund decisions approving with probability `rate`, sent in order, 100 per request. */
async function decide(count: number, rate: number): Promise<void> {
  await refunds.send(tracer, () => provider.forceFlush(), count, rate);
}

async function alerts(): Promise<string[]> {
  const text = await (await fetch(scrapeUrl)).text();
  return text.split('\n').filter((line) => line.startsWith('decision_anomaly_alerts_total'));
}

test(
  'a planted shift of the approval rate (60 % → 80 %) raises one alert with its evidence; the stable stream before it none',
  { timeout: 120_000 },
  async () => {
    await decide(1000, 0.6);
    // Give the last flush time to pass: still no alert.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(await alerts(), [], `alerts on a stable stream:\n${collector.logs()}`);

    await decide(400, 0.8);
    let lines: string[] = [];
    const raised = await eventually(async () => (lines = await alerts()).length > 0, 30_000);
    assert.ok(raised, `no alert after the shift:\n${collector.logs()}`);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /anomaly_signal="outcome_rate"/);
    assert.match(lines[0], /anomaly_subject="approved",anomaly_direction="up"|anomaly_subject="denied",anomaly_direction="down"/);
    assert.match(lines[0], /decision_type="refund.approve",decision_version="v2",decision_tenant="acme"/);
    assert.match(lines[0], / 1$/);

    const logged = collector
      .logs()
      .split('\n')
      .filter((line) => line.includes('decision anomaly'))
      .map(
        (line) =>
          JSON.parse(line) as {
            alert: { baseline: { rate: number; count: number }; current: { rate: number; count: number }; p_value: number; example_decision_ids: string[] };
          },
      );
    assert.equal(logged.length, 1);
    const { alert } = logged[0];
    assert.equal(alert.baseline.count, 500);
    assert.ok(Math.abs(alert.baseline.rate - 0.6) < 0.06 || Math.abs(alert.baseline.rate - 0.4) < 0.06, `baseline ${alert.baseline.rate}`);
    assert.ok(alert.current.count <= 400 + 500, `current over ${alert.current.count} decisions`);
    assert.ok(alert.p_value < 0.05, `p ${alert.p_value}`);
    assert.equal(alert.example_decision_ids.length, 5);
    assert.ok(alert.example_decision_ids.every((id) => id.startsWith(refunds.idPrefix)));
  },
);

test('the alert arrives as an OTLP log record with its evidence at the real Collector', { skip: otelcolMissing, timeout: 60_000 }, async () => {
  type KeyValue = {
    key: string;
    value: { stringValue?: string; intValue?: string; doubleValue?: number; arrayValue?: { values: Array<{ stringValue?: string }> } };
  };
  type LogRecord = { severityNumber: number; severityText: string; eventName?: string; body: { stringValue: string }; attributes: KeyValue[] };
  let records: LogRecord[] = [];
  const arrived = await eventually(() => {
    records = readFileExporterLines(logsFile).flatMap((line) =>
      (JSON.parse(line) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: LogRecord[] }> }> }).resourceLogs.flatMap((rl) =>
        rl.scopeLogs.flatMap((sl) => sl.logRecords),
      ),
    );
    return records.length > 0;
  }, 30_000);
  assert.ok(arrived, `no log record reached otelcol:\n${otelcol!.logs()}\n${collector.logs()}`);
  assert.equal(records.length, 1, 'one shift, one alert');
  const [record] = records;
  assert.equal(record.severityText, 'WARN');
  assert.equal(record.severityNumber, 13);
  assert.equal(record.eventName, 'decision.anomaly');
  assert.match(record.body.stringValue, /^decision anomaly: rate of outcome "(approved|denied)" of refund.approve v2 went (up|down)$/);
  const attribute = (key: string) => record.attributes.find((a) => a.key === key)?.value;
  assert.equal(attribute('decision.type')?.stringValue, 'refund.approve');
  assert.equal(attribute('decision.version')?.stringValue, 'v2');
  assert.equal(attribute('anomaly.signal')?.stringValue, 'outcome_rate');
  assert.equal(Number(attribute('anomaly.baseline.count')?.intValue), 500);
  assert.ok(attribute('anomaly.p_value')!.doubleValue! < 0.05);
  const examples = attribute('anomaly.example_decision_ids')?.arrayValue?.values.map((v) => v.stringValue) ?? [];
  assert.equal(examples.length, 5);
  assert.ok(examples.every((id) => id?.startsWith(refunds.idPrefix)));
});
