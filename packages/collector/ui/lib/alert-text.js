// What an anomaly alert says, as text (pure, no DOM): what shifted, from what to what, how sure.
import { formatNumber, formatPercent } from './format.js';

const KINDS = { outcome_rate: 'Outcome rate', outcome_mix: 'Outcome mix', policy_pass_rate: 'Policy pass rate', confidence_mean: 'Mean confidence' };

/** "Outcome rate", "Policy pass rate", "Mean confidence"; another kind as it is named. */
export function alertKindLabel(kind) {
  return KINDS[kind] ?? kind;
}

/**
 * What moved: the subject with its rate or mean before and now ("approved 60.2% → 80.5%"); for
 * an outcome-mix alert, the share of the outcome that moved the statistic most.
 */
export function alertShift(alert) {
  const arrow = alert.direction === 'down' ? '↓' : alert.direction === 'up' ? '↑' : '→';
  if (alert.kind === 'outcome_mix') {
    const row = mixRows(alert).find((r) => r.outcome === alert.subject);
    return { what: `outcome mix: ${alert.subject ?? '–'}`, before: row?.before ?? '–', now: row?.now ?? '–', arrow };
  }
  const before = alert.baseline ?? {};
  const now = alert.current ?? {};
  const what =
    alert.kind === 'confidence_mean'
      ? 'mean confidence'
      : alert.kind === 'policy_pass_rate'
        ? `policy ${alert.subject ?? ''} passes`
        : (alert.subject ?? 'rate');
  const value = (side) =>
    side.rate !== null && side.rate !== undefined ? formatPercent(side.rate) : side.mean !== null && side.mean !== undefined ? side.mean.toFixed(2) : '–';
  return { what, before: value(before), now: value(now), arrow };
}

/** The counts behind the comparison: "baseline v2: 500 decisions · since the shift: 120". */
export function alertCounts(alert) {
  const baseline = alert.baseline ?? {};
  const version = baseline.version && baseline.version !== alert.version ? ` (${baseline.version})` : '';
  return `baseline${version}: ${formatNumber(baseline.count)} · since the shift: ${formatNumber(alert.current?.count)}`;
}

/** "p = 0.0004", "p < 0.0001", or '' when the alert has no p-value. */
export function pValueText(p) {
  if (p === null || p === undefined || !Number.isFinite(p)) return '';
  if (p < 0.0001) return 'p < 0.0001';
  return `p = ${p < 0.01 ? p.toPrecision(2) : p.toFixed(3)}`;
}

/** "χ² = 23.5, 2 df" for an outcome-mix alert; '' without a statistic. */
export function statisticText(alert) {
  if (alert.statistic === null || alert.statistic === undefined || !Number.isFinite(alert.statistic)) return '';
  const df = alert.degrees_of_freedom;
  return `χ² = ${alert.statistic.toFixed(1)}${df !== null && df !== undefined ? `, ${df} df` : ''}`;
}

/** An outcome-mix alert's outcomes with their shares in the baseline and now; [] for other alerts. */
export function mixRows(alert) {
  const counts = alert.outcome_counts ?? [];
  const baselineTotal = counts.reduce((sum, c) => sum + c.baseline, 0);
  const currentTotal = counts.reduce((sum, c) => sum + c.current, 0);
  return counts.map((c) => ({
    outcome: c.outcome,
    before: baselineTotal > 0 ? formatPercent(c.baseline / baselineTotal) : '–',
    now: currentTotal > 0 ? formatPercent(c.current / currentTotal) : '–',
    baseline: c.baseline,
    current: c.current,
  }));
}

/** Alerts per decision type (without version), for the trend cards. */
export function alertCountsByType(alerts) {
  const counts = new Map();
  for (const alert of alerts) counts.set(alert.type, (counts.get(alert.type) ?? 0) + 1);
  return counts;
}
