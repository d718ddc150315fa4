import type pg from 'pg';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { normalizeAlertQuery } from '../alert-query.js';
import { ALERT_COLUMNS, alertOf, alertPage, alertPageSql, alertRowValues, type AlertRow } from '../alert-row.js';
import type { AppendResult } from '../store.js';

/** The alerts table of a PostgreSQL store (migration 8), as sqlite/alerts-table.ts. */

/** One statement, so all alerts are stored or none; (tenant, id) already stored is a duplicate. */
export async function appendAlerts(pool: pg.Pool, alerts: readonly DecisionAlert[]): Promise<AppendResult> {
  const columns: unknown[][] = Array.from({ length: 7 }, () => []);
  for (const alert of alerts) alertRowValues(alert).forEach((value, i) => columns[i]!.push(value));
  if (alerts.length === 0) return { appended: 0, duplicates: 0 };
  const { rowCount } = await pool.query(
    `INSERT INTO alerts (${ALERT_COLUMNS})
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
     ON CONFLICT (tenant_id, id) DO NOTHING`,
    columns,
  );
  const appended = rowCount ?? 0;
  return { appended, duplicates: alerts.length - appended };
}

export async function queryAlerts(pool: pg.Pool, query: AlertQuery): Promise<AlertPage> {
  const normalized = normalizeAlertQuery(query);
  const params: unknown[] = [];
  const sql = alertPageSql(normalized, (value) => {
    params.push(value);
    return `$${params.length}`;
  });
  const { rows } = await pool.query<AlertRow>(sql, params);
  return alertPage(rows, normalized.limit);
}

export async function getAlert(pool: pg.Pool, id: string, tenant: string | undefined): Promise<DecisionAlert[]> {
  const { rows } =
    tenant === undefined || tenant === ''
      ? await pool.query<{ alert: string }>('SELECT alert FROM alerts WHERE id = $1 ORDER BY tenant_id', [id])
      : await pool.query<{ alert: string }>('SELECT alert FROM alerts WHERE tenant_id = $1 AND id = $2', [tenant, id]);
  return rows.map(alertOf);
}
