// The store scale case's fixture: a store holding N decisions (default 10,000,000) with their
// ledger rows and the context spans of their traces, built once through the store's own append
// path in large groups and cached, so a rerun starts in seconds.
//
// - SQLite: ~/.cache/decision-trace-bench/store-scale-v<GENERATOR_VERSION>-<N>/decisions.db; a run
//   copies it (the ingest measurement writes into the copy, never into the cache).
// - PostgreSQL: the database dt_bench_scale_v<GENERATOR_VERSION>_<N> on the benchmark server; a run
//   clones it with CREATE DATABASE … TEMPLATE (a file copy inside the server).
//
// A fixture counts as built only when its `complete` marker exists (SQLite: a file beside the
// database; PostgreSQL: the database's comment). An interrupted build resumes from its last
// recorded group: appends are idempotent (same event ids and span ids count as duplicates), so
// starting a group again cannot double anything. Bump GENERATOR_VERSION whenever the rows it makes
// change, so an old cache is never read as the new one.
import { existsSync, mkdirSync, readFileSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import pg from 'pg';
import { bulkLoadPostgres, openStore } from '@decision-trace/store';
import { observedEvent } from './store-query-case.mjs';

export const GENERATOR_VERSION = 2;
/** Decisions per append call, and calls in flight (the store's group commit merges them). */
const DECISIONS_PER_CALL = 5000;
const CALLS_IN_FLIGHT = 4;
const PROGRESS_EVERY = 100_000;

export const POSTGRES_URL = process.env.DECISION_TRACE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Other work shares the machine's disk: a build stops (resumable) when less than
 * DT_BENCH_MIN_FREE_GB (default 12) GiB would be left.
 */
function assertDiskRoom() {
  const { bavail, bsize } = statfsSync(fixtureRoot());
  const free = (bavail * bsize) / 2 ** 30;
  const min = Number(process.env.DT_BENCH_MIN_FREE_GB ?? 12);
  if (free < min) throw new Error(`store fixture: stopped with ${free.toFixed(1)} GiB free (DT_BENCH_MIN_FREE_GB=${min}); run again to resume`);
}

/** The fixture's tenants are store_query's, tenant-0 … tenant-9; a run's ingest writes others. */
export function isFixtureTenant(tenant) {
  return /^tenant-\d+$/.test(tenant);
}

/** Where fixtures are cached: DT_BENCH_FIXTURE_DIR, else ~/.cache/decision-trace-bench. */
function fixtureRoot() {
  return process.env.DT_BENCH_FIXTURE_DIR ?? join(homedir(), '.cache', 'decision-trace-bench');
}

export function sqliteFixtureDir(decisions) {
  return join(fixtureRoot(), `store-scale-v${GENERATOR_VERSION}-${decisions}`);
}

export function postgresFixtureDatabase(decisions) {
  return `dt_bench_scale_v${GENERATOR_VERSION}_${decisions}`;
}

/** Postgres URL of `database` on the benchmark server. */
export function postgresUrlOf(database) {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * The context spans of decision i's trace (the trace id observedEvent gives it): the service's
 * server span, the decision's LLM call below it (with token usage, which the store rolls up onto
 * the decision) — the shapes the default pipeline keeps around a decision.
 */
export function contextSpansOf(event, i) {
  const start = Date.parse(event.payload.start_time);
  const root = rootSpanId(i);
  const usage = 800 + (i % 50);
  // Whole milliseconds: the nanosecond times are the same digits followed by six zeros. Plain
  // literals (no spread of shared fields): a spread into a 19-field object made this the
  // build's costliest function.
  return [
    {
      tenant: event.tenant_id,
      trace_id: event.trace_id,
      span_id: root,
      parent_span_id: null,
      name: 'POST /api/refunds',
      kind: null,
      kind_source: null,
      span_kind: 'server',
      service_name: 'refund-service',
      start_time: new Date(start).toISOString(),
      end_time: new Date(start + 40).toISOString(),
      start_time_unix_nano: `${start}000000`,
      end_time_unix_nano: `${start + 40}000000`,
      duration_ms: 40,
      status: 'unset',
      status_message: null,
      operation: null,
      model: null,
      agent_name: null,
      tool_name: null,
      token_usage: null,
    },
    {
      tenant: event.tenant_id,
      trace_id: event.trace_id,
      span_id: (i * 2 + 2).toString(16).padStart(16, '0'),
      parent_span_id: root,
      name: 'chat gpt-4o-mini',
      kind: 'LLM',
      kind_source: 'gen_ai',
      span_kind: 'client',
      service_name: 'refund-service',
      start_time: new Date(start + 5).toISOString(),
      end_time: new Date(start + 30).toISOString(),
      start_time_unix_nano: `${start + 5}000000`,
      end_time_unix_nano: `${start + 30}000000`,
      duration_ms: 25,
      status: 'unset',
      status_message: null,
      operation: 'chat',
      model: 'gpt-4o-mini',
      agent_name: null,
      tool_name: null,
      token_usage: { input: usage, output: 64, cached: 0, total: usage + 64 },
    },
  ];
}

/** The server span of decision i's trace, the span the decision sits on. */
function rootSpanId(i) {
  return (i * 2 + 1).toString(16).padStart(16, '0');
}

/**
 * Decision i of the fixture: store_query's decision.observed event, on its trace's server span
 * (so the LLM call below it rolls its tokens up onto the decision).
 */
export function fixtureEvent(i, decisions) {
  const event = observedEvent(i, decisions);
  event.span_id = rootSpanId(i);
  return event;
}

/**
 * Appends decisions [from, to) and their context spans, reporting progress: the first decision
 * not yet known to be committed. Calls form a sliding window (a new one is made as soon as the
 * oldest resolves), so this thread builds the next call while the store commits the earlier ones.
 */
async function fill(store, from, to, decisions, onProgress) {
  let next = from;
  let reported = from;
  const started = Date.now();
  const call = () => {
    const events = [];
    const spans = [];
    for (let n = 0; n < DECISIONS_PER_CALL && next < to; n++, next++) {
      const event = fixtureEvent(next, decisions);
      events.push(event);
      spans.push(...contextSpansOf(event, next));
    }
    return Promise.all([store.append(events), store.appendContextSpans(spans)]);
  };
  const inFlight = [];
  while (next < to || inFlight.length > 0) {
    if (next < to) assertDiskRoom();
    while (next < to && inFlight.length < CALLS_IN_FLIGHT) inFlight.push({ start: next, done: call() });
    await inFlight.shift().done;
    const committed = inFlight[0]?.start ?? next;
    if (committed - reported >= PROGRESS_EVERY || committed === to) {
      reported = committed;
      const rate = (committed - from) / ((Date.now() - started) / 1000);
      console.log(
        `store fixture: ${committed.toLocaleString('en-US')} / ${decisions.toLocaleString('en-US')} decisions (${Math.round(rate).toLocaleString('en-US')}/s)`,
      );
      onProgress(committed);
    }
  }
}

/**
 * Indexes of the decisions and causal_links tables that the append path never reads (it reads
 * by primary key, by trace and by chain position): built once after the load instead of entry by
 * entry. Their keys lead with the decision's time, which the fixture visits in hash order, so
 * keeping them during the load costs a write to a random leaf per decision and index: that is
 * what made the load fall to ~800 decisions/s past 1M. Built by CREATE INDEX afterwards they hold
 * the same entries, packed as a store appended in time order packs them. Unique indexes stay (an
 * upsert's ON CONFLICT needs them).
 */
const APPEND_PATH_INDEXES = new Set(['decisions_by_trace', 'context_span_packs_by_trace']);
const DEFERRED_INDEX_TABLES = ['decisions', 'causal_links'];

function sqliteDeferrableIndexes(db) {
  return db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
       AND tbl_name IN (${DEFERRED_INDEX_TABLES.map(() => '?').join(', ')}) ORDER BY name`,
    )
    .all(...DEFERRED_INDEX_TABLES)
    .filter((index) => !APPEND_PATH_INDEXES.has(index.name));
}

/**
 * Builds the indexes the load left out (the end of a build; a measurement of a build stopped part
 * way builds them first, and a resumed build drops them again).
 */
export function buildSqliteDeferredIndexes(decisions) {
  const dir = sqliteFixtureDir(decisions);
  const deferredFile = join(dir, 'deferred-indexes.json');
  if (!existsSync(deferredFile)) return;
  const started = Date.now();
  const db = new Database(join(dir, 'decisions.db'));
  try {
    // Sorting for CREATE INDEX: a large cache and the second core.
    db.pragma('cache_size = -1000000');
    db.pragma('threads = 2');
    for (const { name, sql } of JSON.parse(readFileSync(deferredFile, 'utf8'))) {
      const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?`).get(name);
      if (exists !== undefined) continue;
      db.exec(sql);
      console.log(`store fixture: index ${name} built (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** The SQLite fixture's database path, built first if the cache does not hold it. */
export async function sqliteFixture(decisions) {
  const dir = sqliteFixtureDir(decisions);
  const path = join(dir, 'decisions.db');
  const complete = join(dir, 'complete');
  if (existsSync(complete)) return path;
  mkdirSync(dir, { recursive: true });
  const progressFile = join(dir, 'progress');
  const deferredFile = join(dir, 'deferred-indexes.json');
  const from = existsSync(progressFile) && existsSync(path) ? Number(readFileSync(progressFile, 'utf8')) : 0;
  console.log(`store fixture: building ${path}${from > 0 ? ` from decision ${from}` : ''}`);
  const started = Date.now();
  // The store creates the schema (its migrations); the indexes the load does not need are then
  // dropped, remembered first in a file so that a resumed build recreates them too. A resumed
  // build gets them back first: a migration added since may read through them (the roll-ups'
  // backfill reads by time).
  buildSqliteDeferredIndexes(decisions);
  await (await openStore(`sqlite:${path}`)).close();
  {
    const db = new Database(path);
    try {
      if (!existsSync(deferredFile)) writeFileSync(deferredFile, JSON.stringify(sqliteDeferrableIndexes(db), null, 2));
      for (const { name } of JSON.parse(readFileSync(deferredFile, 'utf8'))) db.exec(`DROP INDEX IF EXISTS ${name}`);
    } finally {
      db.close();
    }
  }
  const store = await openStore(`sqlite:${path}`);
  try {
    await fill(store, from, decisions, decisions, (done) => writeFileSync(progressFile, String(done)));
  } finally {
    await store.close();
  }
  const loaded = Date.now();
  buildSqliteDeferredIndexes(decisions);
  writeFileSync(
    complete,
    `${new Date().toISOString()} ${decisions} decisions in ${((Date.now() - started) / 1000).toFixed(0)} s (indexes ${((Date.now() - loaded) / 1000).toFixed(0)} s)\n`,
  );
  console.log(`store fixture: ${path} built in ${((Date.now() - started) / 1000).toFixed(0)} s, ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB`);
  return path;
}

/**
 * The PostgreSQL fixture's indexes built after the load, as for SQLite (see APPEND_PATH_INDEXES);
 * decisions_by_trace stays: the bulk load's check that a trace holds nothing yet reads it.
 */
const POSTGRES_LOAD_INDEXES = new Set(['decisions_by_trace', 'context_spans_by_trace']);
/** Decisions per bulk-load transaction. */
const DECISIONS_PER_LOAD = 20_000;

/**
 * The PostgreSQL fixture database's name, built first if the server does not hold it complete.
 * Through bulkLoadPostgres (the same rows as the append path, packages/store/test/bulk-load.test.ts),
 * 20,000 decisions a transaction; the append path's per-trace roll-up statements make it
 * 150-200 decisions/s here, far too slow for 10M. A resumed build starts after the decisions the
 * ledger holds (one event each, loaded in order).
 */
export async function postgresFixture(decisions) {
  const database = postgresFixtureDatabase(decisions);
  const state = await withClient(POSTGRES_URL, async (client) => {
    const { rows } = await client.query(`SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`, [database]);
    if (rows.length === 0) {
      await client.query(`CREATE DATABASE ${database}`);
      return null;
    }
    return rows[0].comment;
  });
  if (state === 'complete') return database;
  const url = postgresUrlOf(database);
  await (await openStore(url)).close();
  const deferredFile = join(fixtureRoot(), `${database}.deferred-indexes.json`);
  const started = Date.now();
  await withClient(url, async (client) => {
    if (!existsSync(deferredFile)) {
      mkdirSync(fixtureRoot(), { recursive: true });
      const { rows } = await client.query(
        `SELECT indexname AS name, indexdef AS sql FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename IN ('decisions', 'causal_links') AND indexdef NOT LIKE 'CREATE UNIQUE%'
         ORDER BY indexname`,
      );
      writeFileSync(
        deferredFile,
        JSON.stringify(
          rows.filter((index) => !POSTGRES_LOAD_INDEXES.has(index.name)),
          null,
          2,
        ),
      );
    }
    for (const { name } of JSON.parse(readFileSync(deferredFile, 'utf8'))) await client.query(`DROP INDEX IF EXISTS ${name}`);
    const from = Number((await client.query('SELECT coalesce(sum(seq), 0) AS n FROM ledger_heads')).rows[0].n);
    console.log(`store fixture: building PostgreSQL database ${database}${from > 0 ? ` from decision ${from}` : ''}`);
    // A fixture that is rebuilt when lost: its commits need not wait for the disk.
    await client.query('SET synchronous_commit = off');
    // A second thread makes and prepares the next chunks while the server writes this one.
    const worker = new Worker(new URL('./store-fixture-worker.mjs', import.meta.url));
    const waiting = new Map();
    worker.on('message', ({ start, prepared, error }) => {
      const { resolve, reject } = waiting.get(start);
      waiting.delete(start);
      if (error !== undefined) reject(error);
      else resolve(prepared);
    });
    worker.on('error', (error) => {
      for (const { reject } of waiting.values()) reject(error);
      waiting.clear();
    });
    const prepare = (start) => {
      if (start >= decisions) return null;
      const promise = new Promise((resolve, reject) => waiting.set(start, { resolve, reject }));
      // Awaited in turn; one that fails after the load stopped is not an unhandled rejection.
      promise.catch(() => undefined);
      worker.postMessage({ start, end: Math.min(decisions, start + DECISIONS_PER_LOAD), decisions });
      return promise;
    };
    try {
      const ahead = [prepare(from), prepare(from + DECISIONS_PER_LOAD)];
      let reported = from;
      for (let start = from; start < decisions; start += DECISIONS_PER_LOAD) {
        assertDiskRoom();
        const prepared = await ahead.shift();
        ahead.push(prepare(start + 2 * DECISIONS_PER_LOAD));
        await bulkLoadPostgres(client, prepared);
        const done = Math.min(decisions, start + DECISIONS_PER_LOAD);
        if (done - reported >= PROGRESS_EVERY || done === decisions) {
          reported = done;
          const rate = (done - from) / ((Date.now() - started) / 1000);
          console.log(
            `store fixture: ${done.toLocaleString('en-US')} / ${decisions.toLocaleString('en-US')} decisions (${Math.round(rate).toLocaleString('en-US')}/s)`,
          );
        }
      }
    } finally {
      await worker.terminate();
    }
  });
  await buildPostgresDeferredIndexes(decisions);
  await withClient(POSTGRES_URL, (client) => client.query(`COMMENT ON DATABASE ${database} IS 'complete'`));
  const size = await withClient(POSTGRES_URL, async (client) => Number((await client.query('SELECT pg_database_size($1) AS n', [database])).rows[0].n));
  console.log(`store fixture: PostgreSQL ${database} built in ${((Date.now() - started) / 1000).toFixed(0)} s, ${(size / 2 ** 30).toFixed(2)} GiB`);
  return database;
}

/** Connections that build the PostgreSQL fixture's deferred indexes side by side. */
const INDEX_BUILDERS = 3;

/**
 * As buildSqliteDeferredIndexes, for the PostgreSQL fixture; then VACUUM ANALYZE. The indexes are
 * built side by side on INDEX_BUILDERS connections: most are on decisions, and builds running
 * together share one pass over its heap (PostgreSQL's synchronized scans) instead of reading it
 * once per index.
 */
export async function buildPostgresDeferredIndexes(decisions) {
  const database = postgresFixtureDatabase(decisions);
  const deferredFile = join(fixtureRoot(), `${database}.deferred-indexes.json`);
  if (!existsSync(deferredFile)) return;
  const started = Date.now();
  const url = postgresUrlOf(database);
  const missing = await withClient(url, async (client) => {
    const { rows } = await client.query('SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()');
    const present = new Set(rows.map((row) => row.indexname));
    return JSON.parse(readFileSync(deferredFile, 'utf8')).filter(({ name }) => !present.has(name));
  });
  const builder = () =>
    withClient(url, async (client) => {
      await client.query(`SET maintenance_work_mem = '512MB'`);
      // One process per build: the builders already share the machine's cores.
      await client.query('SET max_parallel_maintenance_workers = 0');
      for (let index = missing.shift(); index !== undefined; index = missing.shift()) {
        await client.query(index.sql);
        console.log(`store fixture: index ${index.name} built (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
    });
  await Promise.all(Array.from({ length: INDEX_BUILDERS }, builder));
  await withClient(url, (client) => client.query('VACUUM ANALYZE'));
  console.log(`store fixture: deferred indexes built and vacuumed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

export async function dropPostgresDatabase(database) {
  await withClient(POSTGRES_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${database}`));
}

export async function withClient(url, body) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 30_000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

// `node bench/store-fixture.mjs sqlite|postgres [decisions]` builds (or resumes) one fixture.
if (isMainThread && import.meta.url === `file://${process.argv[1]}`) {
  const [backend, count] = process.argv.slice(2);
  const decisions = count === undefined ? 10_000_000 : Number(count);
  if (backend === 'sqlite') console.log(await sqliteFixture(decisions));
  else if (backend === 'postgres') console.log(await postgresFixture(decisions));
  else {
    console.error('usage: node bench/store-fixture.mjs sqlite|postgres [decisions]');
    process.exit(2);
  }
}
