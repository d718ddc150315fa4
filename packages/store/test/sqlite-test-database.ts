import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../src/sqlite/driver-choice.js';
import type { SqliteDatabase } from '../src/sqlite/sqlite-driver.js';
import type { DecisionStore } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'decision-trace-store-'));
}

/**
 * Opens another connection on the file, as someone tampering with it would, with the driver the
 * stores of this test process use (better-sqlite3 unless DT_SQLITE_DRIVER says otherwise).
 */
export function withConnection<T>(file: string, body: (db: SqliteDatabase) => T): T {
  const db = openSqlite(file);
  try {
    return body(db);
  } finally {
    db.close();
  }
}

/** A fresh SQLite file for the shared suite; `open` decides which store runs on it. */
export function sqliteTestDatabase(open: (file: string) => Promise<DecisionStore>): StoreTestDatabase {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  return {
    open: () => open(file),
    rewriteLedgerEvent: async (tenant, seq, rewrite) =>
      withConnection(file, (db) => {
        const row = db
          .prepare<[string, number], { row_id: number; event: string }>('SELECT row_id, event FROM ledger WHERE tenant_id = ? AND seq = ?')
          .get(tenant, seq);
        assert.ok(row, `ledger row ${tenant}/${seq} exists`);
        db.prepare('UPDATE ledger SET event = ? WHERE row_id = ?').run(JSON.stringify(rewrite(JSON.parse(row.event))), row.row_id);
        return row.row_id;
      }),
    deleteLedgerRow: async (tenant, seq) =>
      withConnection(file, (db) => {
        const row = db.prepare<[string, number], { row_id: number }>('DELETE FROM ledger WHERE tenant_id = ? AND seq = ? RETURNING row_id').get(tenant, seq);
        assert.ok(row, `ledger row ${tenant}/${seq} exists`);
        return row.row_id;
      }),
    appliedMigrations: async () => withConnection(file, (db) => db.prepare('SELECT version FROM schema_migrations ORDER BY rowid').pluck().all() as number[]),
    ledgerShape: async (tenant) =>
      withConnection(file, (db) => ({
        rows: db
          .prepare<[string], { seq: number; pruned: number }>("SELECT seq, event = '' AS pruned FROM ledger WHERE tenant_id = ? ORDER BY seq")
          .all(tenant)
          .map((row) => ({ seq: row.seq, pruned: row.pruned === 1 })),
        checkpoints: db
          .prepare<[string], { seq: number; removed: number }>('SELECT seq, removed FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY seq')
          .all(tenant),
      })),
    rewriteCheckpointHash: async (tenant, seq, hash) =>
      withConnection(file, (db) => {
        const { changes } = db.prepare('UPDATE ledger_checkpoints SET hash = ? WHERE tenant_id = ? AND seq = ?').run(hash, tenant, seq);
        assert.equal(changes, 1, `checkpoint ${tenant}/${seq} exists`);
      }),
    forgetRollups: async () =>
      withConnection(file, (db) => {
        db.exec("DROP TABLE decision_rollups; DELETE FROM schema_migrations WHERE name = 'hourly stats roll-ups'");
      }),
    tamper: {
      rewriteRecord: async (tenant, id, rewrite) =>
        withConnection(file, (db) => {
          const record = db.prepare<[string, string], string>('SELECT record FROM decisions WHERE tenant_id = ? AND id = ?').pluck().get(tenant, id);
          assert.ok(record !== undefined, `decision ${tenant}/${id} exists`);
          db.prepare('UPDATE decisions SET record = ? WHERE tenant_id = ? AND id = ?').run(JSON.stringify(rewrite(JSON.parse(record))), tenant, id);
        }),
      setDecisionColumn: async (tenant, id, column, value) =>
        withConnection(file, (db) => {
          const { changes } = db.prepare(`UPDATE decisions SET ${column} = ? WHERE tenant_id = ? AND id = ?`).run(value, tenant, id);
          assert.equal(changes, 1, `decision ${tenant}/${id} exists`);
        }),
      deleteTenant: async (tenant) =>
        withConnection(file, (db) => {
          for (const table of ['ledger', 'decisions', 'ledger_checkpoints', 'causal_links', 'context_span_packs']) {
            db.prepare(`DELETE FROM ${table} WHERE tenant_id = ?`).run(tenant);
          }
        }),
      deleteRecord: async (tenant, id) =>
        withConnection(file, (db) => {
          const { changes } = db.prepare('DELETE FROM decisions WHERE tenant_id = ? AND id = ?').run(tenant, id);
          assert.equal(changes, 1, `decision ${tenant}/${id} exists`);
        }),
      setAuditColumn: async (seq, column, value) =>
        withConnection(file, (db) => {
          const { changes } = db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`).run(value, seq);
          assert.equal(changes, 1, `audit entry ${seq} exists`);
        }),
      deleteAudit: async (seq) =>
        withConnection(file, (db) => {
          const { changes } = db.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq);
          assert.equal(changes, 1, `audit entry ${seq} exists`);
        }),
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
