import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: plain JS module of the UI, no type declarations
import { alertCounts, alertCountsByType, alertKindLabel, alertShift, mixRows, pValueText, statisticText } from '../ui/lib/alert-text.js';

const rateAlert = {
  type: 'refund.approve',
  version: 'v3',
  kind: 'outcome_rate',
  subject: 'approved',
  direction: 'up',
  baseline: { version: 'v2', count: 1500, rate: 0.6, mean: null },
  current: { version: null, count: 90, rate: 0.812, mean: null },
  p_value: 0.0123,
};

test('an outcome-rate alert reads as its outcome, from its baseline rate to its current one', () => {
  assert.deepEqual(alertShift(rateAlert), { what: 'approved', before: '60.0%', now: '81.2%', arrow: '↑' });
  assert.equal(alertCounts(rateAlert), 'baseline (v2): 1,500 · since the shift: 90');
  assert.equal(alertKindLabel('outcome_rate'), 'Outcome rate');
  assert.equal(alertKindLabel('something_new'), 'something_new');
});

test('policy and confidence alerts name what they watch; the baseline version shows only when it differs', () => {
  const policy = { ...rateAlert, kind: 'policy_pass_rate', subject: 'refund_limit', direction: 'down', version: 'v2' };
  assert.deepEqual(alertShift(policy), { what: 'policy refund_limit passes', before: '60.0%', now: '81.2%', arrow: '↓' });
  assert.equal(alertCounts(policy), 'baseline: 1,500 · since the shift: 90');
  const confidence = {
    ...rateAlert,
    kind: 'confidence_mean',
    subject: null,
    baseline: { version: 'v3', count: 500, rate: null, mean: 0.9 },
    current: { version: null, count: 40, rate: null, mean: 0.714 },
  };
  assert.deepEqual(alertShift(confidence), { what: 'mean confidence', before: '0.90', now: '0.71', arrow: '↑' });
});

test('an outcome-mix alert reads as the share of the outcome that moved most, with its chi-square', () => {
  const mix = {
    ...rateAlert,
    kind: 'outcome_mix',
    subject: 'escalated',
    statistic: 23.456,
    degrees_of_freedom: 2,
    outcome_counts: [
      { outcome: 'approved', baseline: 356, current: 178 },
      { outcome: 'denied', baseline: 32, current: 6 },
      { outcome: 'escalated', baseline: 12, current: 16 },
    ],
  };
  assert.deepEqual(alertShift(mix), { what: 'outcome mix: escalated', before: '3.0%', now: '8.0%', arrow: '↑' });
  assert.equal(statisticText(mix), 'χ² = 23.5, 2 df');
  assert.deepEqual(
    mixRows(mix).map((r: { outcome: string; before: string; now: string }) => `${r.outcome} ${r.before} ${r.now}`),
    ['approved 89.0% 89.0%', 'denied 8.0% 3.0%', 'escalated 3.0% 8.0%'],
  );
  assert.equal(alertKindLabel('outcome_mix'), 'Outcome mix');
  assert.equal(statisticText(rateAlert), '');
  assert.deepEqual(mixRows(rateAlert), []);
});

test('p-values are shown at a readable precision, none when absent', () => {
  assert.equal(pValueText(0.0123), 'p = 0.012');
  assert.equal(pValueText(0.00412), 'p = 0.0041');
  assert.equal(pValueText(0.00002), 'p < 0.0001');
  assert.equal(pValueText(null), '');
});

test('alerts are counted per type for the trend cards', () => {
  assert.deepEqual(
    alertCountsByType([rateAlert, rateAlert, { ...rateAlert, type: 'loan.grant' }]),
    new Map([
      ['refund.approve', 2],
      ['loan.grant', 1],
    ]),
  );
});
