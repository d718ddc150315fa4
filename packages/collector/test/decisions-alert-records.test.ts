import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { alertOfRecord } from '../src/exporters/decisions/alert-records.js';

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
  });
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
