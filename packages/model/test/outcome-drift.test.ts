import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareSurvival, contingencyTable, cramersV, outcomeDrift } from '../src/index.js';
import { logGamma } from '../src/statistics/chi-square-distribution.js';

function close(actual: number | null, expected: number, tolerance: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
}

test('chi-square survival matches the tables’ critical values', () => {
  // Critical values at alpha 0.05 and 0.01 (NIST/SEMATECH chi-square table).
  close(chiSquareSurvival(3.841, 1), 0.05, 1e-4, 'df 1, 3.841');
  close(chiSquareSurvival(6.635, 1), 0.01, 1e-4, 'df 1, 6.635');
  close(chiSquareSurvival(5.991, 2), 0.05, 1e-4, 'df 2, 5.991');
  close(chiSquareSurvival(7.815, 3), 0.05, 1e-4, 'df 3, 7.815');
  close(chiSquareSurvival(18.307, 10), 0.05, 1e-4, 'df 10, 18.307');
  close(chiSquareSurvival(124.342, 100), 0.05, 1e-4, 'df 100, 124.342');
  // Closed forms: df 2 is exp(-x/2); df 1 is erfc(sqrt(x/2)), 2 x (1 - Phi(z)) with z = sqrt(x).
  for (const x of [0.1, 1, 4, 10, 40]) close(chiSquareSurvival(x, 2), Math.exp(-x / 2), 1e-12, `df 2, ${x}`);
  close(chiSquareSurvival(1, 1), 0.3173105078629141, 1e-12, 'df 1, 1 (|z| > 1)');
  close(chiSquareSurvival(0.5, 4), 0.9735009788392561, 1e-12, 'df 4, 0.5 (series branch)');
  assert.equal(chiSquareSurvival(0, 3), 1);
  assert.equal(chiSquareSurvival(Infinity, 3), 0);
  assert.ok(chiSquareSurvival(2000, 1) >= 0 && chiSquareSurvival(2000, 1) < 1e-300);
  assert.throws(() => chiSquareSurvival(1, 0), RangeError);
  assert.throws(() => chiSquareSurvival(Number.NaN, 1), RangeError);
});

test('log gamma against factorials and gamma(1/2)', () => {
  close(logGamma(1), 0, 1e-13, 'ln 0!');
  close(logGamma(5), Math.log(24), 1e-13, 'ln 4!');
  close(logGamma(101), 363.73937555556347, 1e-9, 'ln 100!');
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13, 'ln gamma(1/2)');
});

test('a synthetic shift: 90/10 against 70/30 approvals', () => {
  const drift = outcomeDrift(
    [
      { outcome: 'approved', count: 90 },
      { outcome: 'denied', count: 10 },
    ],
    [
      { outcome: 'denied', count: 30 },
      { outcome: 'approved', count: 70 },
    ],
  );
  // Expected counts 80/20 on each side: chi2 = 2 x (100/80 + 100/20) = 12.5.
  assert.equal(drift.test, 'chi_square');
  close(drift.statistic, 12.5, 1e-12, 'statistic');
  assert.equal(drift.degrees_of_freedom, 1);
  close(drift.p_value, 0.000406952017444959, 1e-12, 'p');
  close(drift.cramers_v, 0.25, 1e-12, 'V = sqrt(12.5 / 200)');
  assert.equal(drift.reason, undefined);
});

test('no shift: the same proportions give statistic 0, p 1, V 0', () => {
  const drift = outcomeDrift(
    [
      { outcome: 'approved', count: 30 },
      { outcome: 'denied', count: 10 },
      { outcome: null, count: 5 },
    ],
    [
      { outcome: 'approved', count: 60 },
      { outcome: 'denied', count: 20 },
      { outcome: null, count: 10 },
    ],
  );
  close(drift.statistic, 0, 1e-12, 'statistic');
  assert.equal(drift.degrees_of_freedom, 2);
  close(drift.p_value, 1, 1e-12, 'p');
  close(drift.cramers_v, 0, 1e-12, 'V');
});

test('three outcomes, one missing on a side, and null outcomes as "(none)"', () => {
  const a = [
    { outcome: 'approved', count: 10 },
    { outcome: 'denied', count: 20 },
    { outcome: null, count: 30 },
  ];
  const b = [
    { outcome: 'approved', count: 20 },
    { outcome: 'denied', count: 20 },
    { outcome: null, count: 20 },
  ];
  assert.deepEqual(contingencyTable(a, b), { outcomes: ['(none)', 'approved', 'denied'], a: [30, 10, 20], b: [20, 20, 20] });
  const drift = outcomeDrift(a, b);
  // Expected 25/15/20 per side: chi2 = 2 x (25/25 + 25/15 + 0) = 16/3; df 2: p = exp(-8/3).
  close(drift.statistic, 16 / 3, 1e-12, 'statistic');
  close(drift.p_value, Math.exp(-8 / 3), 1e-12, 'p');
  close(drift.cramers_v, Math.sqrt(16 / 3 / 120), 1e-12, 'V');

  const onlyOnA = outcomeDrift(
    [
      { outcome: 'approved', count: 5 },
      { outcome: 'escalated', count: 5 },
    ],
    [{ outcome: 'approved', count: 10 }],
  );
  assert.equal(onlyOnA.degrees_of_freedom, 1);
  close(onlyOnA.statistic, 20 / 3, 1e-12, 'expected 7.5/2.5 per side');
});

test('untestable comparisons: an empty side, or fewer than 2 outcomes, give no p-value and a reason', () => {
  const empty = outcomeDrift([], [{ outcome: 'approved', count: 3 }]);
  assert.equal(empty.p_value, null);
  assert.equal(empty.statistic, null);
  assert.match(empty.reason!, /side a has no decisions/);
  assert.match(outcomeDrift([{ outcome: 'approved', count: 3 }], [{ outcome: 'denied', count: 0 }]).reason!, /side b has no decisions/);
  const single = outcomeDrift(
    [{ outcome: 'approved', count: 3 }],
    [
      { outcome: 'approved', count: 7 },
      { outcome: 'denied', count: 0 },
    ],
  );
  assert.equal(single.p_value, null);
  assert.equal(single.cramers_v, null);
  assert.equal(single.degrees_of_freedom, 0);
  assert.match(single.reason!, /fewer than 2 outcomes/);
  assert.throws(() => outcomeDrift([{ outcome: 'x', count: -1 }], []), RangeError);
});

test('Cramér’s V is bounded by 1 and undefined for degenerate tables', () => {
  const complete = outcomeDrift([{ outcome: 'approved', count: 50 }], [{ outcome: 'denied', count: 50 }]);
  close(complete.cramers_v, 1, 1e-12, 'the side decides the outcome');
  assert.equal(cramersV(3, 0, 2, 2), null);
  assert.equal(cramersV(3, 10, 2, 1), null);
});
