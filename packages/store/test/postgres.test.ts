import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openStore, type DecisionStore, type PostgresDecisionStore } from '../src/index.js';
import { parsePostgresUrl } from '../src/postgres/postgres-url.js';
import { POSTGRES_MIGRATIONS } from '../src/postgres/migrations.js';
import { migratePostgres } from '../src/postgres/migrate.js';
import pg from 'pg';
import { assertLegacyRecordsBackfilled, COLUMNS_BEFORE_MIGRATION_5, legacyRecordRows } from './legacy-records.js';
import { freshSchemaName, postgresTestDatabase, postgresUnreachableReason, schemaUrl, withAdminConnection } from './postgres-test-database.js';
import { makeEvent, runStoreSuite } from './store-suite.js';

const unreachable = await postgresUnreachableReason();
/** Tests that need the server; the others (URL parsing) always run. */
const server = unreachable === null ? {} : { skip: unreachable };

runStoreSuite('PostgresDecisionStore', async () => postgresTestDatabase((url) => openStore(url)), server);

/** A store on a fresh schema, dropped afterwards; `body` may open more stores on the same URL. */
async function withSchema(body: (url: string) => Promise<void>): Promise<void> {
  const schema = freshSchemaName();
  try {
    await body(schemaUrl(schema));
  } finally {
    await withAdminConnection((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
}

async function closeAll(stores: DecisionStore[]): Promise<void> {
  await Promise.all(stores.map((store) => store.close()));
}

test('the URL: schema goes to the search_path, the password never into messages', () => {
  const plain = parsePostgresUrl('postgres://app:secret@db.internal:6432/decisions');
  assert.equal(plain.schema, null);
  assert.equal(plain.connectionString, 'postgres://app:secret@db.internal:6432/decisions');

  const scoped = parsePostgresUrl('postgresql://app@db/decisions?schema=tenant_acme&sslmode=require');
  assert.equal(scoped.schema, 'tenant_acme');
  const params = new URL(scoped.connectionString).searchParams;
  assert.equal(params.get('schema'), null, 'pg would pass unknown parameters on');
  assert.equal(params.get('options'), '-c search_path=tenant_acme');
  assert.equal(params.get('sslmode'), 'require');
  assert.equal(
    new URL(parsePostgresUrl('postgres://db/x?options=-c%20statement_timeout%3D5000&schema=s1').connectionString).searchParams.get('options'),
    '-c statement_timeout=5000 -c search_path=s1',
  );

  assert.throws(() => parsePostgresUrl('postgres://db/x?schema=bad-name;drop'), /invalid schema "bad-name;drop"/);
  assert.throws(() => parsePostgresUrl('postgres://db/x?schema=1abc'), /invalid schema/);
  assert.throws(
    () => parsePostgresUrl('mysql://app:secret@db/x'),
    (error: Error) => !error.message.includes('secret'),
  );
});

test('openStore: postgres:// and postgresql:// open the PostgreSQL store; schemas keep stores apart', server, async () => {
  await withSchema(async (first) => {
    await withSchema(async (second) => {
      const a = await openStore(first);
      const b = await openStore(second.replace(/^postgres:/, 'postgresql:'));
      try {
        await a.append([makeEvent('decision.start', {}, { decision_id: 'only-in-a' })]);
        assert.equal((await a.getDecision('only-in-a')).length, 1);
        assert.deepEqual(await b.getDecision('only-in-a'), []);
        assert.equal((a as PostgresDecisionStore).commits, 1);
      } finally {
        await closeAll([a, b]);
      }
    });
  });
});

test('an unreachable server fails opening with a clear message and without the password', server, async () => {
  await assert.rejects(openStore('postgres://app:secret@127.0.0.1:1/decisions?schema=x'), (error: Error) => {
    assert.match(error.message, /^cannot open the PostgreSQL store at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/decisions\?schema=x: /);
    assert.ok(!error.message.includes('secret'));
    return true;
  });
});

test('stores opening one schema at once apply each migration once', server, async () => {
  await withSchema(async (url) => {
    const stores = await Promise.all(Array.from({ length: 5 }, () => openStore(url)));
    try {
      const schema = new URL(url).searchParams.get('schema')!;
      const applied = await withAdminConnection(async (client) =>
        (await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows.map((r) => r.version),
      );
      assert.deepEqual(
        applied,
        POSTGRES_MIGRATIONS.map((migration) => migration.version),
      );
      await Promise.all(stores.map((store, i) => store.append([makeEvent('decision.start', {}, { decision_id: `s${i}` })])));
      assert.deepEqual(await stores[0]!.verifyLedger(), { ok: true, checked: 5, first_broken: null });
    } finally {
      await closeAll(stores);
    }
  });
});

test('a schema written by a newer build is refused', server, async () => {
  await withSchema(async (url) => {
    await (await openStore(url)).close();
    const schema = new URL(url).searchParams.get('schema')!;
    await withAdminConnection((client) => client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (999, 'future')`));
    await assert.rejects(openStore(url), /schema version 999 is newer than this build supports/);
  });
});

test('concurrent appends share one transaction; a failing call does not fail the others', server, async () => {
  await withSchema(async (url) => {
    const store = (await openStore(url)) as PostgresDecisionStore;
    try {
      const before = store.commits;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append([makeEvent('decision.start', {}, { decision_id: `g-${i}` })])));
      assert.deepEqual(
        results,
        Array.from({ length: 20 }, () => ({ appended: 1, duplicates: 0 })),
      );
      assert.equal(store.commits - before, 1, 'twenty calls in one turn, one commit');

      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const settled = await Promise.allSettled([
        store.append([makeEvent('decision.start', {}, { decision_id: 'ok-1' })]),
        store.append([makeEvent('decision.evidence', { key: 'loop', value: circular }, { decision_id: 'bad' })]),
        store.append([makeEvent('decision.start', {}, { decision_id: 'ok-2' })]),
      ]);
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal((await store.getDecision('bad')).length, 0, 'the failed call left nothing behind');
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 22, first_broken: null });
    } finally {
      await store.close();
    }
  });
});

test('several writers on one database keep one gap-free chain per tenant and store every event once', server, async () => {
  await withSchema(async (url) => {
    // Separate stores have separate connection pools: to the database they are separate processes.
    const writers = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    try {
      const shared = Array.from({ length: 40 }, (_, i) =>
        makeEvent('decision.observed', { outcome: 'ok' }, { decision_id: `shared-${i % 5}`, tenant_id: i % 2 === 0 ? 'acme' : 'globex' }),
      );
      // Every writer also delivers shared events, four per call in its own order, as redelivery would.
      const sharedOf = (w: number, call: number) => [0, 1, 2, 3].map((k) => shared[(call * 7 + w * 3 + k) % 40]!);
      const calls = writers.flatMap((writer, w) =>
        Array.from({ length: 10 }, (_, call) => {
          const own = Array.from({ length: 5 }, (_, i) =>
            makeEvent('decision.observed', { outcome: 'ok' }, { decision_id: `w${w}-${call}-${i}`, tenant_id: i % 2 === 0 ? 'acme' : 'globex' }),
          );
          return writer.append([...own, ...sharedOf(w, call)]);
        }),
      );
      const results = await Promise.all(calls);
      const appended = results.reduce((sum, r) => sum + r.appended, 0);
      const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0);
      assert.equal(appended + duplicates, 4 * 10 * 9);
      const distinctShared = new Set(writers.flatMap((_, w) => Array.from({ length: 10 }, (_, call) => sharedOf(w, call)).flat())).size;
      assert.ok(distinctShared > 20 && distinctShared < 160, 'writers overlap on shared events');
      assert.equal(appended, 4 * 10 * 5 + distinctShared, 'each distinct event stored once');

      const schema = new URL(url).searchParams.get('schema')!;
      const chains = await withAdminConnection(
        async (client) =>
          (
            await client.query<{ tenant_id: string; rows: string; max_seq: string; distinct_ids: string }>(
              `SELECT tenant_id, count(*) AS rows, max(seq) AS max_seq, count(DISTINCT event_id) AS distinct_ids
             FROM ${schema}.ledger GROUP BY tenant_id ORDER BY tenant_id`,
            )
          ).rows,
      );
      for (const chain of chains) assert.equal(chain.rows, chain.max_seq, `${chain.tenant_id}: seq 1…n without gaps`);
      for (const chain of chains) assert.equal(chain.rows, chain.distinct_ids, `${chain.tenant_id}: no event twice`);
      assert.deepEqual(await writers[0]!.verifyLedger(), { ok: true, checked: appended, first_broken: null });
      const [sharedRecord] = await writers[1]!.getDecision('shared-0', { tenant: 'acme' });
      assert.equal(sharedRecord!.record.event_count, sharedRecord!.events.length);
    } finally {
      await closeAll(writers);
    }
  });
});

test('writer processes appending to one database at once: no duplicates, no broken chain', server, async () => {
  await withSchema(async (url) => {
    const script = fileURLToPath(new URL('./fixtures/postgres-writer.ts', import.meta.url));
    const run = promisify(execFile);
    const outputs = await Promise.all(
      [0, 1, 2].map((writer) => run(process.execPath, ['--conditions=source', '--import', 'tsx', script, url, String(writer)], { timeout: 60_000 })),
    );
    const results = outputs.map((output) => JSON.parse(output.stdout) as { appended: number; duplicates: number });
    const shared = 60;
    const own = 90;
    assert.equal(
      results.reduce((sum, r) => sum + r.appended, 0),
      shared + 3 * own,
      'shared events stored once, by whichever writer came first',
    );
    assert.equal(
      results.reduce((sum, r) => sum + r.duplicates, 0),
      2 * shared,
    );

    const store = await openStore(url);
    try {
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: shared + 3 * own, first_broken: null });
      const page = await store.queryDecisions({ limit: 1000 });
      assert.equal(
        page.decisions.reduce((sum, d) => sum + d.event_count, 0),
        shared + 3 * own,
      );
    } finally {
      await store.close();
    }
  });
});

test('migration 6 hash-chains the audit entries stored before it, which then verify and show edits', server, async () => {
  await withSchema(async (url) => {
    const schema = new URL(url).searchParams.get('schema')!;
    const pool = new pg.Pool({ connectionString: parsePostgresUrl(url).connectionString });
    try {
      await migratePostgres(
        pool,
        schema,
        POSTGRES_MIGRATIONS.filter((migration) => migration.version < 6),
      );
      const insert = `INSERT INTO ${schema}.audit_log (at, at_micros, key_name, role, tenant, method, path, query, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
      await pool.query(insert, ['2025-03-01T12:00:00.000Z', 1740830400000000, 'ops', 'admin', null, 'GET', '/v1/decisions', '{"a":"1"}', 200]);
      await pool.query(insert, ['2025-03-01T12:00:01.000Z', 1740830401000000, 'ci', 'read', 'acme', 'GET', '/v1/stats', '{}', 200]);
    } finally {
      await pool.end();
    }
    const store = await openStore(url);
    try {
      await store.appendAudit([
        { at: '2025-03-01T12:00:02.000Z', key_name: 'ci', role: 'read', tenant: 'acme', method: 'GET', path: '/v1/audit', query: {}, status: 403 },
      ]);
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 0, first_broken: null });
      const seqs = await withAdminConnection(async (client) => {
        const { rows } = await client.query<{ seq: string }>(`SELECT seq FROM ${schema}.audit_log ORDER BY row_id`);
        await client.query(`UPDATE ${schema}.audit_log SET status = 500 WHERE seq = 1`);
        return rows.map((row) => Number(row.seq));
      });
      assert.deepEqual(seqs, [1, 2, 3]);
      const broken = await store.verifyLedger();
      assert.equal(broken.first_broken?.kind, 'audit');
      assert.equal(broken.first_broken?.seq, 1);
    } finally {
      await store.close();
    }
  });
});

test('migration 5 backfills the filter and stats columns of records stored before it', server, async () => {
  await withSchema(async (url) => {
    const schema = new URL(url).searchParams.get('schema')!;
    const pool = new pg.Pool({ connectionString: parsePostgresUrl(url).connectionString });
    try {
      await migratePostgres(
        pool,
        schema,
        POSTGRES_MIGRATIONS.filter((migration) => migration.version < 5),
      );
      const placeholders = Array.from({ length: COLUMNS_BEFORE_MIGRATION_5 }, (_, i) => `$${i + 1}`).join(', ');
      for (const row of legacyRecordRows()) await pool.query(`INSERT INTO decisions VALUES (${placeholders})`, row);
    } finally {
      await pool.end();
    }
    const store = await openStore(url);
    try {
      await assertLegacyRecordsBackfilled(store);
    } finally {
      await store.close();
    }
    const columns = await withAdminConnection(
      async (client) =>
        (
          await client.query(
            `SELECT id, duration_ms, adjusted_count, has_violations, input_tokens, output_tokens, total_tokens FROM ${schema}.decisions ORDER BY id`,
          )
        ).rows,
    );
    assert.deepEqual(columns, [
      { id: 'old-1', duration_ms: 1500, adjusted_count: 3, has_violations: 1, input_tokens: null, output_tokens: null, total_tokens: null },
      { id: 'old-2', duration_ms: 0, adjusted_count: null, has_violations: 0, input_tokens: 40, output_tokens: 2, total_tokens: 42 },
    ]);
  });
});
