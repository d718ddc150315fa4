import type { SqliteDatabase as Database } from './sqlite-driver.js';
import type { Migration } from './migrations.js';
import { chainExistingAuditRows, type StoredAuditRow } from '../audit-chain.js';
import type { DecisionRecord } from '@decision-trace/model';
import { backfillRollups } from './rollups.js';
import { refoldRecord, refoldedValues, REFOLDED_COLUMNS } from '../record-refold.js';

/**
 * Brings a database up to the newest migration. Pending migrations run in one IMMEDIATE
 * transaction, so two processes opening the same file cannot both apply them, and a failing
 * migration leaves the database as it was. Returns the versions applied now.
 */
export function migrate(db: Database, migrations: readonly Migration[]): number[] {
  assertOrdered(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const appliedVersions = db.prepare('SELECT version FROM schema_migrations').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');

  const applyPending = db.transaction((): number[] => {
    const applied = new Set(appliedVersions.all() as number[]);
    const newest = migrations.at(-1)?.version ?? 0;
    const unknown = [...applied].filter((version) => version > newest);
    if (unknown.length > 0) {
      throw new Error(`database schema version ${Math.max(...unknown)} is newer than this build supports (${newest}); upgrade Decision Trace`);
    }
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      if (migration.sql !== '') db.exec(migration.sql);
      if (migration.backfill === 'audit_chain') chainAuditLog(db);
      if (migration.backfill === 'refold_records') refoldRecords(db);
      if (migration.backfill === 'stats_rollups') backfillRollups(db);
      record.run(migration.version, migration.name, new Date().toISOString());
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
  return applyPending.immediate();
}

function assertOrdered(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new Error(`migrations must have strictly increasing versions (${migrations[i]!.version} after ${migrations[i - 1]!.version})`);
    }
  }
}

function chainAuditLog(db: Database): void {
  const rows = db
    .prepare('SELECT row_id, seq, at, key_name, role, tenant, method, path, query, status, prev_hash, hash FROM audit_log ORDER BY row_id')
    .all() as StoredAuditRow[];
  const update = db.prepare('UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE row_id = ?');
  for (const link of chainExistingAuditRows(rows)) update.run(link.seq, link.prev_hash, link.hash, link.row_id);
}

function refoldRecords(db: Database): void {
  const keys = db.prepare('SELECT tenant_id, id FROM decisions').raw().all() as Array<[string, string]>;
  const read = db.prepare<[string, string], { record: string; event_seqs: string | null }>(
    'SELECT record, event_seqs FROM decisions WHERE tenant_id = ? AND id = ?',
  );
  const events = db
    .prepare<[string | null, string], string>(
      `SELECT l.event FROM json_each('[' || coalesce(?, '') || ']') s
       CROSS JOIN ledger l ON l.tenant_id = ? AND l.seq = s.value AND l.event <> '' ORDER BY l.seq`,
    )
    .pluck();
  const write = db.prepare(`UPDATE decisions SET ${REFOLDED_COLUMNS.map((column) => `${column} = ?`).join(', ')} WHERE tenant_id = ? AND id = ?`);
  for (const [tenant, id] of keys) {
    const row = read.get(tenant, id)!;
    const record = refoldRecord(JSON.parse(row.record) as DecisionRecord, events.all(row.event_seqs, tenant));
    if (record !== null) write.run(...refoldedValues(record), tenant, id);
  }
}
