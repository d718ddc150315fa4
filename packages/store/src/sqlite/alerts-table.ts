import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';
import type { AlertPage, AlertQuery, DecisionAlert } from '../alert.js';
import { normalizeAlertQuery } from '../alert-query.js';
import { ALERT_COLUMNS, alertOf, alertPage, alertPageSql, alertRowValues, type AlertRow } from '../alert-row.js';
import type { AppendResult } from '../store.js';

/** The alerts table of a SQLite store (migration 11): anomaly alerts, idempotent by (tenant, id). */
export class SqliteAlertsTable {
  readonly #insert: SqliteStatement<unknown[], unknown>;
  readonly #byId: SqliteStatement<[string], { alert: string }>;
  readonly #byTenantAndId: SqliteStatement<[string, string], { alert: string }>;
  readonly #pages = new Map<string, SqliteStatement<unknown[], AlertRow>>();

  constructor(private readonly db: SqliteDatabase) {
    this.#insert = db.prepare(`INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, id) DO NOTHING`);
    this.#byId = db.prepare('SELECT alert FROM alerts WHERE id = ? ORDER BY tenant_id');
    this.#byTenantAndId = db.prepare('SELECT alert FROM alerts WHERE tenant_id = ? AND id = ?');
  }

  /** One IMMEDIATE transaction: every alert is stored, or none. */
  append(alerts: readonly DecisionAlert[]): AppendResult {
    const rows = alerts.map(alertRowValues);
    const appended = this.db.transaction(() => rows.reduce((sum, row) => sum + this.#insert.run(...row).changes, 0)).immediate();
    return { appended, duplicates: rows.length - appended };
  }

  query(query: AlertQuery): AlertPage {
    const normalized = normalizeAlertQuery(query);
    const params: unknown[] = [];
    const sql = alertPageSql(normalized, (value) => {
      params.push(value);
      return '?';
    });
    let statement = this.#pages.get(sql);
    if (statement === undefined) {
      if (this.#pages.size >= 64) this.#pages.clear();
      statement = this.db.prepare<unknown[], AlertRow>(sql);
      this.#pages.set(sql, statement);
    }
    return alertPage(statement.all(...params), normalized.limit);
  }

  get(id: string, tenant: string | undefined): DecisionAlert[] {
    const rows = tenant === undefined || tenant === '' ? this.#byId.all(id) : this.#byTenantAndId.all(tenant, id);
    return rows.map(alertOf);
  }
}
