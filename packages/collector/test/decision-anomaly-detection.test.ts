import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRecord, type DecisionRecord } from '@decision-trace/model';
import { decisionAnomalyConnectorSchema, monitorSettings } from '../src/connectors/decision_anomaly/config.js';
import { DecisionMonitors, type MonitorSettings } from '../src/connectors/decision_anomaly/decision-monitor.js';

/**
 * The decision_anomaly connector's sequential tests with its default settings, on generated
 * streams (seeded, so every run sees the same numbers): a planted shift of the approval rate
 * from 60 % to 80 % is found within a stated number of decisions, and a stable stream gives
 * at most a stated rate of false alarms. These bounds are what the README states.
 */

const defaults = decisionAnomalyConnectorSchema.parse({});
const SETTINGS: MonitorSettings = monitorSettings(defaults);

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function decision(i: number, random: () => number, approvalRate: number, version = 'v2'): DecisionRecord {
  return {
    ...emptyRecord(`d-${i}`, 'acme'),
    type: 'refund.approve',
    version,
    status: 'decided',
    outcome: random() < approvalRate ? 'approved' : 'denied',
    confidence: 0.6 + random() * 0.2,
    policy_checks: [{ policy: 'refund_limit', result: random() < 0.9 ? 'pass' : 'fail' }],
  };
}

/** Decisions after the shift until the first alert on the outcomes (a rate or the mix); undefined when none within `limit`. */
function detectionDelay(seed: number, before: number, limit: number, version?: string): number | undefined {
  const random = seeded(seed);
  const monitors = new DecisionMonitors(SETTINGS);
  for (let i = 0; i < before; i++) monitors.observe(decision(i, random, 0.6));
  for (let i = 1; i <= limit; i++) {
    const alerts = monitors.observe(decision(before + i, random, 0.8, version));
    // Approvals up or denials down, or the whole mix: one shift, found by whichever test first.
    if (alerts.some((a) => a.signal === 'outcome_rate' || a.signal === 'outcome_mix')) return i;
  }
  return undefined;
}

test('a shift of the approval rate from 60 % to 80 % is found within 300 decisions', () => {
  const delays = Array.from({ length: 50 }, (_, seed) => detectionDelay(1000 + seed, 1000, 2000));
  assert.ok(
    delays.every((d) => d !== undefined && d <= 300),
    `delays: ${delays.join(', ')}`,
  );
  const sorted = (delays as number[]).sort((a, b) => a - b);
  assert.ok(sorted[25] <= 150, `median ${sorted[25]}`);
});

test('a stable stream raises at most 20 false alarms per 100,000 decisions', () => {
  let alarms = 0;
  for (const seed of [1, 2, 3]) {
    const random = seeded(seed);
    const monitors = new DecisionMonitors(SETTINGS);
    for (let i = 0; i < 100_000; i++) alarms += monitors.observe(decision(i, random, 0.6)).length;
  }
  assert.ok(alarms / 3 <= 20, `${alarms / 3} alarms per 100,000 decisions (every signal: outcomes, policy, confidence)`);
});

test('a new version is compared with the version before it from its first decision', () => {
  const random = seeded(7);
  const monitors = new DecisionMonitors(SETTINGS);
  for (let i = 0; i < 1000; i++) monitors.observe(decision(i, random, 0.6, 'v2'));
  let alert;
  for (let i = 0; i < 400 && !alert; i++) {
    alert = monitors.observe(decision(1000 + i, random, 0.8, 'v3')).find((a) => a.signal === 'outcome_rate');
  }
  assert.ok(alert, 'v3 approving more than v2 is noticed without learning v3 first');
  assert.equal(alert.version, 'v3');
  assert.equal(alert.baseline.version, 'v2');
  // Approvals up from about 60 %, or denials down from about 40 %.
  const [from, to] = alert.subject === 'approved' ? [alert.baseline.rate!, alert.current.rate!] : [1 - alert.baseline.rate!, 1 - alert.current.rate!];
  assert.ok(from > 0.55 && from < 0.65, `baseline approval rate ${from}`);
  assert.ok(to > 0.7, `current approval rate ${to}`);
  assert.ok(alert.p_value! < 0.01, `p ${alert.p_value}`);
  assert.equal(alert.example_decision_ids.length, 5);
});

test('a fall of a policy pass rate and of the mean confidence are found too', () => {
  const random = seeded(11);
  const monitors = new DecisionMonitors(SETTINGS);
  for (let i = 0; i < 600; i++) monitors.observe(decision(i, random, 0.6));
  const signals = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const failing = { ...decision(600 + i, random, 0.6), confidence: 0.5 + random() * 0.2 };
    failing.policy_checks = [{ policy: 'refund_limit', result: random() < 0.6 ? 'pass' : 'fail' }];
    for (const alert of monitors.observe(failing)) signals.add(`${alert.signal}:${alert.direction}`);
  }
  assert.ok(signals.has('policy_pass_rate:down'), [...signals].join(', '));
  assert.ok(signals.has('confidence_mean:down'), [...signals].join(', '));
});
