import type { AlertPage, AlertWindow, DecisionAlert } from './alert.js';
import { encodeAlertCursor, type NormalizedAlertQuery } from './alert-query.js';
import { rfc3339ToEpochMicros } from './instant.js';

/** The alerts table's columns, as both backends name them (the alert itself is JSON in `alert`). */
export const ALERT_COLUMNS = 'tenant_id, id, at_micros, type, version, kind, alert';

export interface AlertRow {
  tenant_id: string;
  id: string;
  at_micros: number;
  alert: string;
}

/** An alert as the row's values in ALERT_COLUMNS order; TypeError for a malformed alert. */
export function alertRowValues(alert: DecisionAlert): [string, string, number, string, string | null, string, string] {
  for (const field of ['id', 'tenant', 'type', 'kind', 'message'] as const) {
    if (typeof alert[field] !== 'string' || (field !== 'message' && alert[field] === '')) throw new TypeError(`alert: ${field} must be a non-empty string`);
  }
  const atMicros = typeof alert.at === 'string' ? rfc3339ToEpochMicros(alert.at) : null;
  if (atMicros === null) throw new TypeError(`alert: at must be an RFC 3339 instant, got ${JSON.stringify(alert.at)}`);
  if (alert.version !== null && typeof alert.version !== 'string') throw new TypeError('alert: version must be a string or null');
  if (!Array.isArray(alert.example_decision_ids) || !alert.example_decision_ids.every((id) => typeof id === 'string')) {
    throw new TypeError('alert: example_decision_ids must be a list of strings');
  }
  checkWindow('baseline', alert.baseline);
  checkWindow('current', alert.current);
  if (
    alert.outcome_counts !== undefined &&
    alert.outcome_counts !== null &&
    (!Array.isArray(alert.outcome_counts) ||
      !alert.outcome_counts.every((c) => typeof c?.outcome === 'string' && Number.isFinite(c.baseline) && Number.isFinite(c.current)))
  ) {
    throw new TypeError('alert: outcome_counts must be a list of {outcome, baseline, current}');
  }
  const stored: DecisionAlert = {
    id: alert.id,
    tenant: alert.tenant,
    at: alert.at,
    type: alert.type,
    version: alert.version,
    kind: alert.kind,
    subject: alert.subject ?? null,
    direction: alert.direction ?? null,
    message: alert.message,
    baseline: windowOf(alert.baseline),
    current: windowOf(alert.current),
    p_value: alert.p_value ?? null,
    example_decision_ids: [...alert.example_decision_ids],
    statistic: alert.statistic ?? null,
    degrees_of_freedom: alert.degrees_of_freedom ?? null,
    outcome_counts: alert.outcome_counts?.map(({ outcome, baseline, current }) => ({ outcome, baseline, current })) ?? null,
  };
  return [alert.tenant, alert.id, atMicros, alert.type, alert.version, alert.kind, JSON.stringify(stored)];
}

function checkWindow(name: string, window: AlertWindow): void {
  if (typeof window !== 'object' || window === null || !Number.isFinite(window.count)) throw new TypeError(`alert: ${name}.count must be a number`);
}

function windowOf(window: AlertWindow): AlertWindow {
  return { version: window.version ?? null, count: window.count, rate: window.rate ?? null, mean: window.mean ?? null };
}

/**
 * One page of alerts, newest first, one row more than the limit. `bind` adds a parameter and
 * returns its placeholder (`?` or `$n`).
 */
export function alertPageSql(query: NormalizedAlertQuery, bind: (value: unknown) => string): string {
  const conditions: string[] = [];
  if (query.tenant !== null) conditions.push(`tenant_id = ${bind(query.tenant)}`);
  if (query.type !== null) conditions.push(`type = ${bind(query.type)}`);
  for (const version of query.versions) conditions.push(`version = ${bind(version)}`);
  if (query.kind !== null) conditions.push(`kind = ${bind(query.kind)}`);
  if (query.sinceMicros !== null) conditions.push(`at_micros >= ${bind(query.sinceMicros)}`);
  if (query.untilMicros !== null) conditions.push(`at_micros < ${bind(query.untilMicros)}`);
  if (query.after !== null) {
    conditions.push(`(at_micros, id, tenant_id) < (${bind(query.after.atMicros)}, ${bind(query.after.id)}, ${bind(query.after.tenant)})`);
  }
  return (
    `SELECT tenant_id, id, at_micros, alert FROM alerts` +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY at_micros DESC, id DESC, tenant_id DESC LIMIT ${bind(query.limit + 1)}`
  );
}

/** A page of rows fetched with limit + 1, as the reply. */
export function alertPage(rows: readonly AlertRow[], limit: number): AlertPage {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return {
    alerts: page.map(alertOf),
    next_cursor: hasMore && last ? encodeAlertCursor({ atMicros: Number(last.at_micros), id: last.id, tenant: last.tenant_id }) : null,
  };
}

export function alertOf(row: Pick<AlertRow, 'alert'>): DecisionAlert {
  return JSON.parse(row.alert) as DecisionAlert;
}
