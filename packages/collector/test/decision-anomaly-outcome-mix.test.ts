import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRecord, type DecisionRecord } from '@decision-trace/model';
import { decisionAnomalyConnectorSchema, monitorSettings } from '../src/connectors/decision_anomaly/config.js';
import { alertRecord } from '../src/connectors/decision_anomaly/decision-anomaly-connector.js';
import { DecisionMonitors, type AnomalyAlert, type MonitorSettings } from '../src/connectors/decision_anomaly/decision-monitor.js';

/**
 * The chi-square test of the whole outcome mix (issue #20, item 3), with the connector's
 * defaults, on seeded generated streams: a shift where two outcomes trade shares while a third
 * stays is found sooner with it than by the per-outcome CUSUMs alone, and a stable stream gives
 * at most a stated rate of false alarms from it. These numbers are what the README states.
 */

const DEFAULTS = monitorSettings(decisionAnomalyConnectorSchema.parse({}));
const CUSUMS_ONLY: MonitorSettings = { ...DEFAULTS, mix: { ...DEFAULTS.mix, enabled: false } };

type Mix = Array<[outcome: string, share: number]>;

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function decision(i: number, random: () => number, mix: Mix): DecisionRecord {
  const r = random();
  let cumulative = 0;
  const outcome = mix.find(([, share]) => r < (cumulative += share))?.[0] ?? mix[mix.length - 1]![0];
  return { ...emptyRecord(`d-${i}`, 'acme'), type: 'refund.approve', version: 'v2', status: 'decided', outcome, confidence: 0.7, policy_checks: [] };
}

const outcomeAlerts = (alerts: AnomalyAlert[]) => alerts.filter((a) => a.signal === 'outcome_rate' || a.signal === 'outcome_mix');

/** Denials fall from 8 % to 3 % while escalations rise from 3 % to 8 %; approvals stay at 89 %. */
const BEFORE: Mix = [
  ['approved', 0.89],
  ['denied', 0.08],
  ['escalated', 0.03],
];
const AFTER: Mix = [
  ['approved', 0.89],
  ['denied', 0.03],
  ['escalated', 0.08],
];

/** Decisions after the shift until the first alert on the outcomes, and that alert; none within `limit`. */
function detection(seed: number, settings: MonitorSettings, limit = 3000): { delay?: number; alert?: AnomalyAlert } {
  const random = seeded(seed);
  const monitors = new DecisionMonitors(settings);
  for (let i = 0; i < 1000; i++) monitors.observe(decision(i, random, BEFORE));
  for (let i = 1; i <= limit; i++) {
    const [alert] = outcomeAlerts(monitors.observe(decision(1000 + i, random, AFTER)));
    if (alert) return { delay: i, alert };
  }
  return {};
}

const SEEDS = Array.from({ length: 50 }, (_, i) => 1000 + i);
const within = (delays: Array<number | undefined>, n: number) => delays.filter((d) => d !== undefined && d <= n).length;
const percentile = (delays: Array<number | undefined>, q: number) => delays.map((d) => d ?? Infinity).sort((a, b) => a - b)[Math.floor(q * delays.length)]!;

test('two outcomes trading shares (8 % ↔ 3 %, the third steady) is found sooner with the chi-square than by the CUSUMs alone', (t) => {
  const withMix = SEEDS.map((seed) => detection(seed, DEFAULTS));
  const cusumsOnly = SEEDS.map((seed) => detection(seed, CUSUMS_ONLY));
  const delays = withMix.map((d) => d.delay);
  const cusumDelays = cusumsOnly.map((d) => d.delay);
  const foundByMix = withMix.filter((d) => d.alert?.signal === 'outcome_mix').length;
  t.diagnostic(
    `with the chi-square: median ${percentile(delays, 0.5)}, p90 ${percentile(delays, 0.9)}, within 700: ${within(delays, 700)}/50, first found by the chi-square in ${foundByMix}/50; ` +
      `CUSUMs only: median ${percentile(cusumDelays, 0.5)}, p90 ${percentile(cusumDelays, 0.9)}, within 700: ${within(cusumDelays, 700)}/50`,
  );
  // Without the chi-square (or with it unable to alert), these fail.
  assert.ok(foundByMix >= 20, `the chi-square found the shift first in only ${foundByMix} of 50 streams`);
  assert.equal(within(delays, 700), 50, 'every stream within 700 decisions with the chi-square');
  assert.ok(within(cusumDelays, 700) < 50, 'the CUSUMs alone miss some within 700');
  assert.ok(percentile(delays, 0.9) <= 450, `p90 with the chi-square ${percentile(delays, 0.9)}`);
  assert.ok(percentile(cusumDelays, 0.9) > 600, `p90 of the CUSUMs alone ${percentile(cusumDelays, 0.9)}`);
  // Where the chi-square came first, it never came later than the CUSUMs would have.
  withMix.forEach((d, i) => {
    if (d.alert?.signal === 'outcome_mix') assert.ok(cusumDelays[i] === undefined || d.delay! <= cusumDelays[i]!, `seed ${SEEDS[i]}`);
  });
});

test('a chi-square alert carries its evidence: p-value, statistic, degrees of freedom, counts per outcome, examples', () => {
  const alert = SEEDS.map((seed) => detection(seed, DEFAULTS).alert).find((a) => a?.signal === 'outcome_mix');
  assert.ok(alert);
  assert.equal(alert.type, 'refund.approve');
  assert.equal(alert.version, 'v2');
  assert.equal(alert.baseline.version, 'v2');
  assert.ok(alert.p_value! < DEFAULTS.mix.pValue, `p ${alert.p_value}`);
  assert.ok(alert.statistic! > 13.8, `statistic ${alert.statistic} (df 2 at p 0.001 needs 13.8)`);
  assert.equal(alert.degrees_of_freedom, 2);
  assert.deepEqual(alert.outcome_counts!.outcomes, ['approved', 'denied', 'escalated']);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  assert.equal(sum(alert.outcome_counts!.baseline), DEFAULTS.mix.baselineWindow);
  assert.equal(alert.baseline.count, DEFAULTS.mix.baselineWindow);
  assert.equal(sum(alert.outcome_counts!.current), DEFAULTS.mix.window);
  assert.equal(alert.current.count, DEFAULTS.mix.window);
  // The outcome that moved the statistic most: escalations up or denials down.
  assert.ok(
    (alert.subject === 'escalated' && alert.direction === 'up') || (alert.subject === 'denied' && alert.direction === 'down'),
    `${alert.subject} ${alert.direction}`,
  );
  const [, denied, escalated] = alert.outcome_counts!.current;
  assert.ok(escalated! > denied!, `current window: ${alert.outcome_counts!.current.join(', ')}`);
  assert.equal(alert.example_decision_ids.length, 5);
});

test('a stable four-outcome stream raises at most 2 chi-square false alarms per 100,000 decisions', (t) => {
  const stable: Mix = [
    ['approved', 0.45],
    ['denied', 0.35],
    ['escalated', 0.15],
    ['referred', 0.05],
  ];
  let alarms = 0;
  for (const seed of [1, 2, 3]) {
    const random = seeded(seed);
    const monitors = new DecisionMonitors(DEFAULTS);
    for (let i = 0; i < 100_000; i++) alarms += monitors.observe(decision(i, random, stable)).filter((a) => a.signal === 'outcome_mix').length;
  }
  t.diagnostic(`${alarms} chi-square alarms over 300,000 stable decisions`);
  assert.ok(alarms / 3 <= 2, `${alarms / 3} chi-square alarms per 100,000 decisions`);
});

test('a new outcome never seen in the baseline is tested too (pooled with the rare ones), and a new version is compared with the old', () => {
  const random = seeded(5);
  // CUSUMs tuned to a change of 0.5 stay quiet: the alert must come from the chi-square.
  const monitors = new DecisionMonitors({ ...DEFAULTS, rateShift: 0.5 });
  for (let i = 0; i < 1000; i++)
    monitors.observe(
      decision(i, random, [
        ['approved', 0.7],
        ['denied', 0.3],
      ]),
    );
  let alert: AnomalyAlert | undefined;
  for (let i = 0; i < 600 && !alert; i++) {
    // v3 sends a tenth of its refunds to manual review, an outcome v2 never had.
    const next = decision(1000 + i, random, [
      ['approved', 0.63],
      ['denied', 0.27],
      ['manual_review', 0.1],
    ]);
    alert = monitors.observe({ ...next, version: 'v3' }).find((a) => a.signal === 'outcome_mix');
  }
  assert.ok(alert, 'no chi-square alert for a new outcome');
  assert.equal(alert.version, 'v3');
  assert.equal(alert.baseline.version, 'v2');
  assert.equal(alert.subject, 'manual_review');
  assert.equal(alert.direction, 'up');
  assert.deepEqual(alert.outcome_counts!.outcomes, ['approved', 'denied', 'manual_review']);
  assert.equal(alert.outcome_counts!.baseline[2], 0);
});

test('outcome_mix keys are validated', () => {
  assert.equal(decisionAnomalyConnectorSchema.parse({ outcome_mix: { p_value: 0.01 } }).outcome_mix.window, 300);
  for (const bad of [{ p_value: 0 }, { p_value: 1 }, { window: 5 }, { baseline_window: 2.5 }, { min_expected: -1 }, { windw: 300 }]) {
    assert.equal(decisionAnomalyConnectorSchema.safeParse({ outcome_mix: bad }).success, false, JSON.stringify(bad));
  }
});

test('a chi-square alert as an OTLP log record: the shared attributes, and the test’s evidence added', () => {
  const alert = SEEDS.map((seed) => detection(seed, DEFAULTS).alert).find((a) => a?.signal === 'outcome_mix')!;
  const record = alertRecord(alert);
  assert.equal(record.eventName, 'decision.anomaly');
  assert.equal(record.severityText, 'WARN');
  assert.match(String(record.body), /^decision anomaly: outcome mix of refund.approve v2 shifted \("(escalated|denied)" went (up|down)\)$/);
  const a = record.attributes;
  assert.equal(a['anomaly.signal'], 'outcome_mix');
  assert.equal(a['decision.type'], 'refund.approve');
  assert.equal(a['decision.version'], 'v2');
  assert.equal(a['decision.tenant'], 'acme');
  assert.equal(a['anomaly.subject'], alert.subject);
  assert.equal(a['anomaly.direction'], alert.direction);
  assert.equal(a['anomaly.baseline.version'], 'v2');
  assert.equal(a['anomaly.baseline.count'], 500);
  assert.equal(a['anomaly.current.count'], 300);
  assert.equal(a['anomaly.p_value'], alert.p_value);
  assert.equal(a['anomaly.statistic'], alert.statistic);
  assert.equal(a['anomaly.degrees_of_freedom'], 2);
  assert.deepEqual(a['anomaly.outcomes'], ['approved', 'denied', 'escalated']);
  assert.deepEqual(a['anomaly.baseline.outcome_counts'], alert.outcome_counts!.baseline);
  assert.deepEqual(a['anomaly.current.outcome_counts'], alert.outcome_counts!.current);
  assert.equal((a['anomaly.example_decision_ids'] as string[]).length, 5);
  assert.equal(a['anomaly.baseline.rate'], undefined);
});
