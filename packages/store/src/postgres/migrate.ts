import type { Pool, PoolClient } from 'pg';
import { chainExistingAuditRows, type StoredAuditRow } from '../audit-chain.js';
import type { DecisionRecord } from '@decision-trace/model';
import { refoldRecord, refoldedValues, REFOLDED_COLUMNS } from '../record-refold.js';
import type { Migration } from '../sqlite/migrations.js';
import { inTransaction } from './transaction.js';

/**
 * Brings a schema up to the newest migration and returns the versions applied now. Everything
 * runs in one transaction under an advisory lock keyed by the schema, so processes starting at
 * the same time apply each migration once (the others wait, then find nothing pending), and a
 * failing migration leaves the schema as it was. `schema` null: the connection's search_path.
 */
export async function migratePostgres(pool: Pool, schema: string | null, migrations: readonly Migration[]): Promise<number[]> {
  assertOrdered(migrations);
  return inTransaction(pool, 'BEGIN', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`decision-trace migrations ${schema ?? ''}`]);
    if (schema !== null) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const newest = migrations.at(-1)?.version ?? 0;
    const unknown = [...applied].filter((version) => version > newest);
    if (unknown.length > 0) {
      throw new Error(`database schema version ${Math.max(...unknown)} is newer than this build supports (${newest}); upgrade Decision Trace`);
    }
    const appliedNow: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      if (migration.sql !== '') await client.query(migration.sql);
      if (migration.backfill === 'audit_chain') await chainAuditLog(client);
      if (migration.backfill === 'refold_records') await refoldRecords(client);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      appliedNow.push(migration.version);
    }
    return appliedNow;
  });
}

function assertOrdered(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new Error(`migrations must have strictly increasing versions (${migrations[i]!.version} after ${migrations[i - 1]!.version})`);
    }
  }
}

async function chainAuditLog(client: PoolClient): Promise<void> {
  const { rows } = await client.query<StoredAuditRow>(
    'SELECT row_id, seq, at, key_name, role, tenant, method, path, query, status, prev_hash, hash FROM audit_log ORDER BY row_id',
  );
  const links = chainExistingAuditRows(rows);
  if (links.length === 0) return;
  await client.query(
    `UPDATE audit_log a SET seq = l.seq, prev_hash = l.prev_hash, hash = l.hash
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS l(row_id, seq, prev_hash, hash) WHERE a.row_id = l.row_id`,
    [links.map((l) => l.row_id), links.map((l) => l.seq), links.map((l) => l.prev_hash), links.map((l) => l.hash)],
  );
}

/** One decision at a time: a record and its live events in seq order. */
async function refoldRecords(client: PoolClient): Promise<void> {
  const { rows: keys } = await client.query<{ tenant_id: string; id: string }>('SELECT tenant_id, id FROM decisions');
  const assignments = REFOLDED_COLUMNS.map((column, i) => `${column} = $${i + 1}`).join(', ');
  for (const { tenant_id: tenant, id } of keys) {
    const { rows } = await client.query<{ record: string; event: string | null }>(
      `SELECT d.record, l.event FROM decisions d
       LEFT JOIN ledger l ON l.tenant_id = d.tenant_id AND l.decision_id = d.id AND l.event IS NOT NULL
       WHERE d.tenant_id = $1 AND d.id = $2 ORDER BY l.seq`,
      [tenant, id],
    );
    if (rows.length === 0) continue;
    const events = rows.flatMap((row) => (row.event === null ? [] : [row.event]));
    const record = refoldRecord(JSON.parse(rows[0]!.record) as DecisionRecord, events);
    if (record === null) continue;
    const values = refoldedValues(record);
    await client.query(`UPDATE decisions SET ${assignments} WHERE tenant_id = $${values.length + 1} AND id = $${values.length + 2}`, [...values, tenant, id]);
  }
}
