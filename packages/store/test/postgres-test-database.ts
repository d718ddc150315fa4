import assert from 'node:assert/strict';
import pg from 'pg';
import type { DecisionStore } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';

/** The server the PostgreSQL tests use; DECISION_TRACE_TEST_POSTGRES_URL overrides it. */
export const POSTGRES_TEST_URL = process.env.DECISION_TRACE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** null when a server answers at POSTGRES_TEST_URL, else why not (for the tests' skip message). */
export async function postgresUnreachableReason(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const where = new URL(POSTGRES_TEST_URL);
    return `PostgreSQL not reachable at ${where.host}${where.pathname}: ${error instanceof Error ? error.message || error.name : String(error)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let schemaCounter = 0;

/** A schema name no other test (in this or a concurrent run) uses. */
export function freshSchemaName(): string {
  schemaCounter += 1;
  return `dt_test_${process.pid}_${Date.now().toString(36)}_${schemaCounter}`;
}

/** POSTGRES_TEST_URL with `?schema=`. */
export function schemaUrl(schema: string): string {
  const url = new URL(POSTGRES_TEST_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Runs `body` on a connection of its own, as someone working behind the store's back would. */
export async function withAdminConnection<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A fresh schema for the shared suite, dropped by dispose; `open` decides how the store is opened. */
export function postgresTestDatabase(open: (url: string) => Promise<DecisionStore>): StoreTestDatabase {
  const schema = freshSchemaName();
  const url = schemaUrl(schema);
  return {
    open: () => open(url),
    rewriteLedgerEvent: (tenant, seq, rewrite) =>
      withAdminConnection(async (client) => {
        const { rows } = await client.query<{ row_id: string; event: string }>(`SELECT row_id, event FROM ${schema}.ledger WHERE tenant_id = $1 AND seq = $2`, [
          tenant,
          seq,
        ]);
        assert.equal(rows.length, 1, `ledger row ${tenant}/${seq} exists`);
        const row = rows[0]!;
        await client.query(`UPDATE ${schema}.ledger SET event = $1 WHERE row_id = $2`, [
          JSON.stringify(rewrite(JSON.parse(row.event) as Record<string, unknown>)),
          row.row_id,
        ]);
        return Number(row.row_id);
      }),
    deleteLedgerRow: (tenant, seq) =>
      withAdminConnection(async (client) => {
        const { rows } = await client.query<{ row_id: string }>(`DELETE FROM ${schema}.ledger WHERE tenant_id = $1 AND seq = $2 RETURNING row_id`, [
          tenant,
          seq,
        ]);
        assert.equal(rows.length, 1, `ledger row ${tenant}/${seq} exists`);
        return Number(rows[0]!.row_id);
      }),
    appliedMigrations: () =>
      withAdminConnection(async (client) => {
        const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY applied_at, version`);
        return rows.map((row) => row.version);
      }),
    ledgerShape: (tenant) =>
      withAdminConnection(async (client) => {
        const rows = await client.query<{ seq: string; pruned: boolean }>(
          `SELECT seq, event IS NULL AS pruned FROM ${schema}.ledger WHERE tenant_id = $1 ORDER BY seq`,
          [tenant],
        );
        const checkpoints = await client.query<{ seq: string; removed: string }>(
          `SELECT seq, removed FROM ${schema}.ledger_checkpoints WHERE tenant_id = $1 ORDER BY seq`,
          [tenant],
        );
        return {
          rows: rows.rows.map((row) => ({ seq: Number(row.seq), pruned: row.pruned })),
          checkpoints: checkpoints.rows.map((row) => ({ seq: Number(row.seq), removed: Number(row.removed) })),
        };
      }),
    rewriteCheckpointHash: (tenant, seq, hash) =>
      withAdminConnection(async (client) => {
        const { rowCount } = await client.query(`UPDATE ${schema}.ledger_checkpoints SET hash = $1 WHERE tenant_id = $2 AND seq = $3`, [hash, tenant, seq]);
        assert.equal(rowCount, 1, `checkpoint ${tenant}/${seq} exists`);
      }),
    forgetRollups: () =>
      withAdminConnection(async (client) => {
        await client.query(`DROP TABLE ${schema}.decision_rollups; DELETE FROM ${schema}.schema_migrations WHERE name = 'hourly stats roll-ups'`);
      }),
    tamper: {
      rewriteRecord: (tenant, id, rewrite) =>
        withAdminConnection(async (client) => {
          const { rows } = await client.query<{ record: string }>(`SELECT record FROM ${schema}.decisions WHERE tenant_id = $1 AND id = $2`, [tenant, id]);
          assert.equal(rows.length, 1, `decision ${tenant}/${id} exists`);
          const record = JSON.stringify(rewrite(JSON.parse(rows[0]!.record) as Record<string, unknown>));
          await client.query(`UPDATE ${schema}.decisions SET record = $1 WHERE tenant_id = $2 AND id = $3`, [record, tenant, id]);
        }),
      setDecisionColumn: (tenant, id, column, value) =>
        withAdminConnection(async (client) => {
          const { rowCount } = await client.query(`UPDATE ${schema}.decisions SET ${column} = $1 WHERE tenant_id = $2 AND id = $3`, [value, tenant, id]);
          assert.equal(rowCount, 1, `decision ${tenant}/${id} exists`);
        }),
      deleteTenant: (tenant) =>
        withAdminConnection(async (client) => {
          for (const table of ['ledger', 'decisions', 'ledger_checkpoints', 'ledger_heads', 'causal_links', 'context_spans']) {
            await client.query(`DELETE FROM ${schema}.${table} WHERE tenant_id = $1`, [tenant]);
          }
        }),
      deleteRecord: (tenant, id) =>
        withAdminConnection(async (client) => {
          const { rowCount } = await client.query(`DELETE FROM ${schema}.decisions WHERE tenant_id = $1 AND id = $2`, [tenant, id]);
          assert.equal(rowCount, 1, `decision ${tenant}/${id} exists`);
        }),
      setAuditColumn: (seq, column, value) =>
        withAdminConnection(async (client) => {
          const { rowCount } = await client.query(`UPDATE ${schema}.audit_log SET ${column} = $1 WHERE seq = $2`, [value, seq]);
          assert.equal(rowCount, 1, `audit entry ${seq} exists`);
        }),
      deleteAudit: (seq) =>
        withAdminConnection(async (client) => {
          const { rowCount } = await client.query(`DELETE FROM ${schema}.audit_log WHERE seq = $1`, [seq]);
          assert.equal(rowCount, 1, `audit entry ${seq} exists`);
        }),
    },
    dispose: () =>
      withAdminConnection(async (client) => {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }),
  };
}
