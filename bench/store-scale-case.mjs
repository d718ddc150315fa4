// Issue #19, "flat with size": the default pipeline's ingest into a store that already holds
// 10,000,000 decisions (with their ledger rows and context spans) against ingest into an empty
// store in the same run, and the store query case's queries on that store, for SQLite and
// PostgreSQL. Opt-in (`node bench/run.mjs --update store_scale`): building the fixture takes hours
// the first time (store-fixture.mjs caches it), far beyond CI's quick bench.
//
// PostgreSQL's ingest runs --quick's short rounds unless DT_BENCH_SCALE_SHORT_INGEST=0.
// `DT_BENCH_SCALE_DECISIONS` sets the fixture's size (default 10,000,000; 20,000 with --quick).
// `DT_BENCH_SCALE_BACKENDS=sqlite` leaves PostgreSQL out. `DT_BENCH_SCALE_PARTIAL=1` measures a fixture as far as an interrupted build got (the build
// must not be running), and the rows say how many decisions it held.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '@decision-trace/store';
import { freePort, makeProtobufBodies, pipelineYaml, postAll, startCollector, stopCollector } from './harness.mjs';
import { measureIngest } from './ingest-rounds.mjs';
import { measureQueries } from './store-query-case.mjs';
import {
  buildPostgresDeferredIndexes,
  buildSqliteDeferredIndexes,
  dropPostgresDatabase,
  isFixtureTenant,
  postgresFixture,
  postgresFixtureDatabase,
  postgresUrlOf,
  sqliteFixture,
  sqliteFixtureDir,
  withClient,
  POSTGRES_URL,
} from './store-fixture.mjs';

const CONCURRENCY = 16;

export async function storeScaleCase({ quick, root }) {
  const decisions = quick ? 20_000 : Number(process.env.DT_BENCH_SCALE_DECISIONS ?? 10_000_000);
  const partial = process.env.DT_BENCH_SCALE_PARTIAL === '1';
  const samples = quick ? 40 : 200;
  const rows = [];
  // DT_BENCH_SCALE_BACKENDS=sqlite (or postgres) measures one backend only.
  const backends = (process.env.DT_BENCH_SCALE_BACKENDS ?? 'sqlite,postgres').split(',');
  if (backends.includes('sqlite')) rows.push(...(await sqliteRows({ quick, root, decisions, partial, samples })));
  if (!backends.includes('postgres')) return withLoad(rows);
  const unreachable = await withClient(POSTGRES_URL, (client) => client.query('SELECT 1')).then(
    () => null,
    (error) => error.message || error.name,
  );
  if (unreachable !== null) console.log(`store scale case: PostgreSQL rows skipped (not reachable: ${unreachable})`);
  else rows.push(...(await postgresRows({ quick, root, decisions, partial, samples })));
  return withLoad(rows);
}

function withLoad(rows) {
  const load = loadavg().map((n) => Number(n.toFixed(2)));
  return rows.map((row) => ({ ...row, load_average: row.load_average ?? load }));
}

/** A label for the rows: 10m, 2.5m, 20k. */
function sizeLabel(held) {
  return held >= 1_000_000 ? `${Number((held / 1_000_000).toFixed(1))}m` : `${Math.round(held / 1000)}k`;
}

async function sqliteRows({ quick, root, decisions, partial, samples }) {
  const dir = sqliteFixtureDir(decisions);
  const fixture = join(dir, 'decisions.db');
  if (partial && !existsSync(join(dir, 'complete'))) {
    const wal = `${fixture}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0) throw new Error(`${fixture} has a WAL: is its build still running? Stop it first`);
    buildSqliteDeferredIndexes(decisions);
  } else {
    await sqliteFixture(decisions);
  }
  // The run measures the fixture itself (a copy would need as much disk again: 30+ GB at 10M) and
  // then removes what its ingest added: rows of tenants the fixture does not hold, and the
  // context-span packs past the fixture's last one (their key leads with the trace).
  const markFile = join(dir, 'run-mark.json');
  if (existsSync(markFile)) removeSqliteRunRows(fixture, JSON.parse(readFileSync(markFile, 'utf8')));
  const mark = sqliteMark(fixture);
  writeFileSync(markFile, JSON.stringify(mark));
  const scratch = mkdtempSync(join(tmpdir(), 'dt-bench-scale-'));
  try {
    const held = countSqlite(fixture);
    console.log(`store scale case: SQLite fixture of ${held.toLocaleString('en-US')} decisions, ${(statSync(fixture).size / 2 ** 30).toFixed(1)} GiB`);
    const label = sizeLabel(held);

    // The queries first, on a store nothing writes to.
    const store = await openStore(`sqlite:${fixture}`);
    let queries;
    try {
      queries = renamed(await measureQueries(store, 'sqlite', held, samples, `_at_${label}`));
    } finally {
      await store.close();
    }
    const ingest = await ingestPair({
      quick,
      root,
      dir: scratch,
      backend: 'sqlite',
      label,
      emptyStorage: `sqlite:${join(scratch, 'empty.db')}`,
      fullStorage: `sqlite:${fixture}`,
    });
    return [...ingest, ...queries].map((row) => ({ ...row, backend: 'sqlite', decisions: held }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    removeSqliteRunRows(fixture, mark);
    rmSync(markFile, { force: true });
  }
}

/** The last context-span pack before a run. */
function sqliteMark(path) {
  const db = new Database(path, { readonly: true });
  try {
    return { lastPack: db.prepare('SELECT coalesce(max(pack_id), 0) FROM context_span_packs').pluck().get() };
  } finally {
    db.close();
  }
}

/** The tenants of the ledger, one index seek each. */
function sqliteTenants(db) {
  return db
    .prepare(
      `WITH RECURSIVE t(tenant_id) AS (
           SELECT min(tenant_id) FROM ledger
           UNION ALL SELECT (SELECT min(tenant_id) FROM ledger WHERE tenant_id > t.tenant_id) FROM t WHERE t.tenant_id IS NOT NULL
         ) SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`,
    )
    .pluck()
    .all();
}

/** Removes a run's rows from the fixture (see sqliteRows): the fixture holds what it held before. */
function removeSqliteRunRows(path, { lastPack }) {
  const db = new Database(path);
  try {
    const foreign = sqliteTenants(db).filter((tenant) => !isFixtureTenant(tenant));
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'context_span_packs'`)
      .pluck()
      .all()
      .filter((table) => db.prepare('SELECT 1 FROM pragma_table_info(?) WHERE name = ?').get(table, 'tenant_id') !== undefined);
    let removed = db.prepare('DELETE FROM context_span_packs WHERE pack_id > ?').run(lastPack).changes;
    for (const tenant of foreign) for (const table of tables) removed += db.prepare(`DELETE FROM ${table} WHERE tenant_id = ?`).run(tenant).changes;
    db.pragma('wal_checkpoint(TRUNCATE)');
    if (removed > 0) console.log(`store scale case: removed ${removed.toLocaleString('en-US')} rows the run added (tenants ${foreign.join(', ') || 'none'})`);
  } finally {
    db.close();
  }
}

async function postgresRows({ quick, root, decisions, partial, samples }) {
  const fixture = postgresFixtureDatabase(decisions);
  const comment = await withClient(POSTGRES_URL, async (client) => {
    const { rows } = await client.query(`SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`, [fixture]);
    return rows[0]?.comment ?? null;
  });
  if (partial && comment !== 'complete') await buildPostgresDeferredIndexes(decisions);
  else await postgresFixture(decisions);
  const full = postgresUrlOf(fixture);
  // In place, as for SQLite: a TEMPLATE copy would need the fixture's size again.
  await removePostgresRunRows(full);
  const empty = `dt_bench_scale_empty_${process.pid}`;
  const scratch = mkdtempSync(join(tmpdir(), 'dt-bench-scale-'));
  try {
    await dropPostgresDatabase(empty);
    await withClient(POSTGRES_URL, (client) => client.query(`CREATE DATABASE ${empty}`));
    const held = await withClient(full, async (client) => Number((await client.query('SELECT count(*) AS n FROM decisions')).rows[0].n));
    const size = await withClient(POSTGRES_URL, async (client) => Number((await client.query('SELECT pg_database_size($1) AS n', [fixture])).rows[0].n));
    console.log(`store scale case: PostgreSQL fixture of ${held.toLocaleString('en-US')} decisions, ${(size / 2 ** 30).toFixed(1)} GiB`);
    const label = sizeLabel(held);
    const store = await openStore(full);
    let queries;
    try {
      queries = renamed(await measureQueries(store, 'postgres', held, samples, `_at_${label}`));
    } finally {
      await store.close();
    }
    // PostgreSQL ingests the default pipeline at a few hundred spans/s here (appendContextSpans
    // rolls each trace up with statements of its own): the short rounds of --quick (3 of 200
    // requests) keep each collector's share to minutes, not half an hour.
    const ingest = await ingestPair({
      quick: quick || process.env.DT_BENCH_SCALE_SHORT_INGEST !== '0',
      root,
      dir: scratch,
      backend: 'postgres',
      label,
      emptyStorage: postgresUrlOf(empty),
      fullStorage: full,
    });
    return [...ingest, ...queries].map((row) => ({ ...row, backend: 'postgres', decisions: held }));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await dropPostgresDatabase(empty);
    await removePostgresRunRows(full);
  }
}

/** Removes the rows of tenants other than the fixture's (a run's ingest: every tenant written has a chain head), then vacuums. */
async function removePostgresRunRows(url) {
  await withClient(url, async (client) => {
    const heads = await client.query('SELECT tenant_id FROM ledger_heads');
    const foreign = heads.rows.map((row) => row.tenant_id).filter((tenant) => !isFixtureTenant(tenant));
    if (foreign.length === 0) return;
    const { rows } = await client.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'tenant_id'`,
    );
    let removed = 0;
    for (const { table_name: table } of rows) removed += (await client.query(`DELETE FROM ${table} WHERE tenant_id = ANY($1::text[])`, [foreign])).rowCount;
    await client.query('VACUUM ANALYZE');
    console.log(`store scale case: removed ${removed.toLocaleString('en-US')} rows the run added (tenants ${foreign.join(', ')})`);
  });
}

function countSqlite(path) {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) AS n FROM decisions').get().n;
  } finally {
    db.close();
  }
}

/**
 * The default pipeline's ingest into an empty store and into the fixture's copy, one collector
 * each, in that order in the same run: spans/s (target ≥ 0.8× empty) and the store worker's µs
 * of CPU per span (which a busy machine disturbs less than spans/s).
 */
async function ingestPair({ quick, root, dir, backend, label, emptyStorage, fullStorage }) {
  const measured = {};
  for (const [which, storage] of [
    ['empty', emptyStorage],
    ['full', fullStorage],
  ]) {
    const [http, health] = [await freePort(), await freePort()];
    const receiver = `      http:\n        endpoint: 127.0.0.1:${http}\n`;
    const child = await startCollector(root, dir, which, pipelineYaml({ dir, name: which, receiver, healthPort: health, storage }), health);
    try {
      const rows = await measureIngest({
        pid: child.pid,
        name: which,
        quick,
        makeBodies: (count) => {
          const bodies = makeProtobufBodies(count);
          return { plain: bodies, sent: bodies };
        },
        send: (bodies) => postAll(http, bodies, { concurrency: CONCURRENCY }),
      });
      measured[which] = {
        spans: rows.find((r) => r.name === which).value,
        main: rows.find((r) => r.name === `${which}_cpu_main_thread`)?.value,
        store: rows.find((r) => r.name === `${which}_cpu_store_worker`)?.value,
      };
    } finally {
      await stopCollector(child);
    }
  }
  const rows = [
    {
      name: `store_scale_ingest_${backend}_into_${label}`,
      unit: 'spans/s',
      value: measured.full.spans,
      baseline_name: `ingest_${backend}_into_empty_store`,
      baseline_value: measured.empty.spans,
      ratio: measured.full.spans / measured.empty.spans,
    },
  ];
  for (const thread of ['main', 'store']) {
    // No dt-store thread with PostgreSQL (its store runs on the main thread): no store row then.
    if (measured.full[thread] === undefined || !measured.empty[thread]) continue;
    rows.push({
      name: `store_scale_ingest_${backend}_into_${label}_cpu_${thread === 'main' ? 'main_thread' : 'store_worker'}`,
      unit: 'µs CPU/span',
      value: measured.full[thread],
      baseline_name: `ingest_${backend}_into_empty_store_cpu_${thread === 'main' ? 'main_thread' : 'store_worker'}`,
      baseline_value: measured.empty[thread],
      ratio: measured.full[thread] / measured.empty[thread],
    });
  }
  return rows;
}

/** The store query case's row names, as this case's: store_scale_filtered_list_p95_sqlite_at_10m. */
function renamed(rows) {
  return rows.map((row) => ({ ...row, name: row.name.replace(/^store_/, 'store_scale_') }));
}
