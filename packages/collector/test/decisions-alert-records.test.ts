import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openStore, type DecisionStore } from '@decision-trace/store';
import { offlineHost, PipelineError } from '@decision-trace/collector';
import { alertOfRecord } from '../src/exporters/decisions/alert-records.js';
import { alertsExporter } from '../src/exporters/decisions/alerts-exporter.js';
import { decisionsExporterSchema } from '../src/exporters/decisions/config.js';

/** A record as the decision_anomaly connector writes one (see its README). */
function alertRecord(overrides: Partial<ReadableLogRecord> = {}): ReadableLogRecord {
  return {
    hrTime: [1_765_000_000, 250_000_000],
    hrTimeObserved: [1_765_000_000, 250_000_000],
    severityNumber: 13,
    severityText: 'WARN',
    eventName: 'decision.anomaly',
    body: 'decision anomaly: rate of outcome "approved" of refund.approve v3 went up',
    attributes: {
      'decision.type': 'refund.approve',
      'decision.version': 'v3',
      'decision.tenant': 'acme',
      'anomaly.signal': 'outcome_rate',
      'anomaly.subject': 'approved',
      'anomaly.direction': 'up',
      'anomaly.baseline.version': 'v2',
      'anomaly.baseline.count': 500,
      'anomaly.baseline.rate': 0.6,
      'anomaly.current.count': 90,
      'anomaly.current.rate': 0.81,
      'anomaly.p_value': 0.0004,
      'anomaly.example_decision_ids': ['d-1', 'd-2'],
    },
    droppedAttributesCount: 0,
    resource: undefined as never,
    instrumentationScope: { name: 'decision-trace/decision_anomaly' },
    ...overrides,
  } as ReadableLogRecord;
}

test('an alert record becomes the alert with its evidence, in its tenant, at its time', () => {
  const alert = alertOfRecord(alertRecord())!;
  const { id, ...rest } = alert;
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.deepEqual(rest, {
    tenant: 'acme',
    at: '2025-12-06T05:46:40.250Z',
    type: 'refund.approve',
    version: 'v3',
    kind: 'outcome_rate',
    subject: 'approved',
    direction: 'up',
    message: 'decision anomaly: rate of outcome "approved" of refund.approve v3 went up',
    baseline: { version: 'v2', count: 500, rate: 0.6, mean: null },
    current: { version: null, count: 90, rate: 0.81, mean: null },
    p_value: 0.0004,
    example_decision_ids: ['d-1', 'd-2'],
    statistic: null,
    degrees_of_freedom: null,
    outcome_counts: null,
  });
});

test('an outcome_mix alert keeps its chi-square statistic and its counts per outcome', () => {
  const base = alertRecord().attributes;
  const alert = alertOfRecord(
    alertRecord({
      attributes: {
        ...base,
        'anomaly.signal': 'outcome_mix',
        'anomaly.subject': 'escalated',
        'anomaly.statistic': 23.5,
        'anomaly.degrees_of_freedom': 2,
        'anomaly.outcomes': ['approved', 'denied', 'escalated'],
        'anomaly.baseline.outcome_counts': [356, 32, 12],
        'anomaly.current.outcome_counts': [178, 6, 16],
      },
    }),
  )!;
  assert.equal(alert.kind, 'outcome_mix');
  assert.equal(alert.statistic, 23.5);
  assert.equal(alert.degrees_of_freedom, 2);
  assert.deepEqual(alert.outcome_counts, [
    { outcome: 'approved', baseline: 356, current: 178 },
    { outcome: 'denied', baseline: 32, current: 6 },
    { outcome: 'escalated', baseline: 12, current: 16 },
  ]);
  const ragged = alertOfRecord(
    alertRecord({ attributes: { ...base, 'anomaly.outcomes': ['a', 'b'], 'anomaly.baseline.outcome_counts': [1], 'anomaly.current.outcome_counts': [1, 2] } }),
  )!;
  assert.equal(ragged.outcome_counts, null);
});

test('the same record redelivered is the same alert; another alert has another id', () => {
  assert.equal(alertOfRecord(alertRecord())!.id, alertOfRecord(alertRecord())!.id);
  assert.notEqual(alertOfRecord(alertRecord())!.id, alertOfRecord(alertRecord({ hrTime: [1_765_000_001, 0] }))!.id);
});

test('records that are no alerts are not taken for one', () => {
  assert.equal(alertOfRecord(alertRecord({ eventName: 'app.log' })), null);
  assert.equal(alertOfRecord(alertRecord({ eventName: undefined })), null);
  const { ['anomaly.signal']: _signal, ...withoutSignal } = alertRecord().attributes;
  assert.equal(alertOfRecord(alertRecord({ attributes: withoutSignal })), null);
});

test('the logs instance of the decisions exporter stores the alerts of a batch once, and counts other records as dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-alerts-exporter-'));
  const stores: DecisionStore[] = [];
  const host = {
    ...offlineHost(),
    openStore: async (url: string) => {
      const store = await openStore(url);
      stores.push(store);
      return store;
    },
  };
  const config = decisionsExporterSchema.parse({ storage: `sqlite:${join(dir, 'decisions.db')}` });
  const exporter = alertsExporter({ id: 'decisions', config, logger: pino({ level: 'silent' }), host });
  await assert.rejects(exporter.consumeLogs({ records: [alertRecord()] }), (e: unknown) => e instanceof PipelineError && e.retryable, 'not started');
  await exporter.start();
  try {
    const other = alertRecord({ eventName: 'app.log', body: 'hello' });
    const second = alertRecord({ hrTime: [1_765_000_100, 0], attributes: { ...alertRecord().attributes, 'decision.tenant': 'globex' } });
    await exporter.consumeLogs({ records: [alertRecord(), other, second] });
    await exporter.consumeLogs({ records: [alertRecord()] }); // redelivered
    const stored = (await stores[0]!.queryAlerts({})).alerts;
    assert.deepEqual(
      stored.map((a) => a.tenant),
      ['globex', 'acme'],
    );
    const labels = { exporter: 'decisions' };
    assert.equal(host.metrics.valueOf('otelcol_exporter_accepted_log_records_total', labels), 4);
    assert.equal(host.metrics.valueOf('otelcol_exporter_dropped_log_records_total', labels), 1);
    assert.equal(host.metrics.valueOf('otelcol_exporter_sent_log_records_total', labels), 3);
  } finally {
    await exporter.shutdown();
    for (const store of stores) await store.close();
  }
});

test('the logs instance refuses to start without the embedded store', async () => {
  const config = decisionsExporterSchema.parse({ endpoint: 'http://127.0.0.1:9/' });
  const exporter = alertsExporter({ id: 'decisions', config, logger: pino({ level: 'silent' }), host: offlineHost() });
  await assert.rejects(exporter.start(), /exporters\.decisions: in a logs pipeline the decisions exporter stores alerts in the embedded store/);
});
