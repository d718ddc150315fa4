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
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '@decision-trace/store';
import { observedEvent } from './store-query-case.mjs';

export const GENERATOR_VERSION = 1;
/** Decisions per append call, and calls in flight (the store's group commit merges them). */
const DECISIONS_PER_CALL = 5000;
const CALLS_IN_FLIGHT = 4;
const PROGRESS_EVERY = 100_000;

export const POSTGRES_URL = process.env.DECISION_TRACE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function sqliteFixtureDir(decisions) {
  return join(homedir(), '.cache', 'decision-trace-bench', `store-scale-v${GENERATOR_VERSION}-${decisions}`);
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
  const startNanos = BigInt(start) * 1_000_000n;
  const root = (i * 2 + 1).toString(16).padStart(16, '0');
  const llm = (i * 2 + 2).toString(16).padStart(16, '0');
  const base = {
    tenant: event.tenant_id,
    trace_id: event.trace_id,
    service_name: 'refund-service',
    status: 'unset',
    status_message: null,
    agent_name: null,
    tool_name: null,
  };
  return [
    {
      ...base,
      span_id: root,
      parent_span_id: null,
      name: 'POST /api/refunds',
      kind: null,
      kind_source: null,
      span_kind: 'server',
      start_time: new Date(start).toISOString(),
      end_time: new Date(start + 40).toISOString(),
      start_time_unix_nano: startNanos.toString(),
      end_time_unix_nano: (startNanos + 40_000_000n).toString(),
      duration_ms: 40,
      operation: null,
      model: null,
      token_usage: null,
    },
    {
      ...base,
      span_id: llm,
      parent_span_id: root,
      name: 'chat gpt-4o-mini',
      kind: 'LLM',
      kind_source: 'gen_ai',
      span_kind: 'client',
      start_time: new Date(start + 5).toISOString(),
      end_time: new Date(start + 30).toISOString(),
      start_time_unix_nano: (startNanos + 5_000_000n).toString(),
      end_time_unix_nano: (startNanos + 30_000_000n).toString(),
      duration_ms: 25,
      operation: 'chat',
      model: 'gpt-4o-mini',
      token_usage: { input: 800 + (i % 50), output: 64, cached: 0, total: 864 + (i % 50) },
    },
  ];
}

/** Appends decisions [from, to) and their context spans, reporting progress. */
async function fill(store, from, to, decisions, onProgress) {
  let next = from;
  let reported = from;
  const started = Date.now();
  const call = () => {
    const events = [];
    const spans = [];
    for (let n = 0; n < DECISIONS_PER_CALL && next < to; n++, next++) {
      const event = observedEvent(next, decisions);
      events.push(event);
      spans.push(...contextSpansOf(event, next));
    }
    return Promise.all([store.append(events), store.appendContextSpans(spans)]);
  };
  while (next < to) {
    const groupStart = next;
    const batch = [];
    for (let k = 0; k < CALLS_IN_FLIGHT && next < to; k++) batch.push(call());
    await Promise.all(batch);
    if (next - reported >= PROGRESS_EVERY || next === to) {
      reported = next;
      const rate = (next - from) / ((Date.now() - started) / 1000);
      console.log(
        `store fixture: ${next.toLocaleString('en-US')} / ${decisions.toLocaleString('en-US')} decisions (${Math.round(rate).toLocaleString('en-US')}/s)`,
      );
      onProgress(groupStart);
    }
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
  const from = existsSync(progressFile) && existsSync(path) ? Number(readFileSync(progressFile, 'utf8')) : 0;
  console.log(`store fixture: building ${path}${from > 0 ? ` from decision ${from}` : ''}`);
  const started = Date.now();
  const store = await openStore(`sqlite:${path}`);
  try {
    await fill(store, from, decisions, decisions, (done) => writeFileSync(progressFile, String(done)));
  } finally {
    await store.close();
  }
  writeFileSync(complete, `${new Date().toISOString()} ${decisions} decisions in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(`store fixture: ${path} built in ${((Date.now() - started) / 1000).toFixed(0)} s, ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB`);
  return path;
}

/** The PostgreSQL fixture database's name, built first if the server does not hold it complete. */
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
  const from = state?.startsWith('progress ') ? Number(state.slice('progress '.length)) : 0;
  console.log(`store fixture: building PostgreSQL database ${database}${from > 0 ? ` from decision ${from}` : ''}`);
  const started = Date.now();
  const store = await openStore(postgresUrlOf(database));
  const mark = (text) => withClient(POSTGRES_URL, (client) => client.query(`COMMENT ON DATABASE ${database} IS '${text}'`));
  let pending = Promise.resolve();
  try {
    await fill(store, from, decisions, decisions, (done) => {
      pending = pending.then(() => mark(`progress ${done}`));
    });
  } finally {
    await store.close();
    await pending;
  }
  await withClient(postgresUrlOf(database), (client) => client.query('VACUUM ANALYZE'));
  await mark('complete');
  console.log(`store fixture: PostgreSQL ${database} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return database;
}

/** A fresh copy of the PostgreSQL fixture, as database `copy` (replaced if it exists). */
export async function clonePostgresFixture(decisions, copy) {
  await withClient(POSTGRES_URL, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${copy}`);
    await client.query(`CREATE DATABASE ${copy} TEMPLATE ${postgresFixtureDatabase(decisions)}`);
  });
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
if (import.meta.url === `file://${process.argv[1]}`) {
  const [backend, count] = process.argv.slice(2);
  const decisions = count === undefined ? 10_000_000 : Number(count);
  if (backend === 'sqlite') console.log(await sqliteFixture(decisions));
  else if (backend === 'postgres') console.log(await postgresFixture(decisions));
  else {
    console.error('usage: node bench/store-fixture.mjs sqlite|postgres [decisions]');
    process.exit(2);
  }
}
