// Query latency of the decision store with many stored decisions, on SQLite and PostgreSQL: a
// filtered list (tenant + type + outcome + time range, 50 per page), a list filtered by the
// newer filters (tenant + actor + minimum confidence + time range), the next page of a tenant's
// listing (a cursor page), stats over one day of every tenant (1 h buckets), and a decision
// graph of depth 5 (the root read by id, then walkDecisionGraph), p50 and p95 in microseconds.
// Baseline: getDecision by id on the same store (a primary-key lookup with its events).
// Decisions spread evenly over 30 days (a day holds ~1/30 of them, ~33,000 of 1,000,000); one
// in 200 per tenant and type starts a lineage chain of 6 (depth 5). PostgreSQL rows are left
// out, with a note, when no server answers at DECISION_TRACE_BENCH_POSTGRES_URL (default the test database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore, walkDecisionGraph } from '@decision-trace/store';

const POSTGRES_URL = process.env.DECISION_TRACE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TENANTS = 10;
const TYPES = ['refund.approve.v2', 'kyc.check.v1', 'pricing.quote.v3', 'fraud.screen.v1', 'support.route.v2'];
const OUTCOMES = ['approved', 'denied', 'review'];
const ACTORS = 50;
const DAYS = 30;
/** Per tenant, every CHAIN_EVERY-th decision starts a parent chain of CHAIN_LENGTH decisions. */
const CHAIN_EVERY = 200;
const CHAIN_LENGTH = 6;
const GRAPH_DEPTH = 5;
const EVENTS_PER_CALL = 2000;
const CALLS_IN_FLIGHT = 4;
/** The newest decision's time; listings look at the last week before it. */
const END = Date.UTC(2025, 2, 31);
const DAYS_MS = DAYS * 86_400_000;

export async function storeQueryCase({ quick }) {
  const decisions = quick ? 10_000 : 1_000_000;
  const samples = quick ? 40 : 400;
  const results = [];

  const dir = mkdtempSync(join(tmpdir(), 'decision-trace-bench-store-'));
  try {
    results.push(...(await measureBackend('sqlite', `sqlite:${join(dir, 'decisions.db')}`, decisions, samples)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const unreachable = await postgresUnreachable();
  if (unreachable !== null) {
    console.log(`store query case: PostgreSQL rows skipped (${unreachable})`);
    return results;
  }
  const schema = `dt_bench_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  try {
    results.push(...(await measureBackend('postgres', url.toString(), decisions, samples)));
  } finally {
    await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
  return results;
}

async function measureBackend(backend, storageUrl, decisions, samples) {
  const store = await openStore(storageUrl);
  let rows;
  let rawPassMicros;
  let expected;
  try {
    const started = Date.now();
    await populate(store, decisions);
    console.log(`store query case: ${decisions.toLocaleString('en-US')} decisions into ${backend} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    rows = await measureQueries(store, backend, decisions, samples);
    [rawPassMicros] = await latencies(1, () => store.stats(ALL_FROM_RAW_ROWS));
    expected = await store.stats(ALL_BY_HOUR);
  } finally {
    await store.close();
  }
  rows.push(await measureRollupBackfill(backend, storageUrl, decisions, rawPassMicros, expected));
  return rows;
}

/** Every decision, in 1 h buckets off the hour grid: read from raw rows, one pass over all of them. */
const ALL_FROM_RAW_ROWS = {
  since: new Date(END - DAYS_MS - 1_800_000).toISOString(),
  until: new Date(END + 1_800_000).toISOString(),
  bucket_ms: 3_600_000,
};
/** Every decision, in 1 h buckets on the hour grid: read from the hourly roll-ups. */
const ALL_BY_HOUR = { since: new Date(END - DAYS_MS).toISOString(), until: new Date(END + 3_600_000).toISOString(), bucket_ms: 3_600_000 };

/**
 * The roll-up migration's backfill on the populated store: the roll-ups dropped and their
 * migration forgotten behind the store's back, then the time to open it again (which migrates);
 * the rebuilt roll-ups must answer as the ones kept by the appends did. Baseline: one stats pass
 * over every decision from raw rows on the same store.
 */
async function measureRollupBackfill(backend, storageUrl, decisions, rawPassMicros, expected) {
  const forget = "DELETE FROM schema_migrations WHERE name = 'hourly stats roll-ups'";
  if (backend === 'sqlite') {
    const db = new Database(storageUrl.slice('sqlite:'.length));
    db.exec(`DROP TABLE decision_rollups; ${forget}`);
    db.close();
  } else {
    const schema = new URL(storageUrl).searchParams.get('schema');
    await withClient((client) => client.query(`SET search_path TO ${schema}; DROP TABLE decision_rollups; ${forget}`));
  }
  const start = process.hrtime.bigint();
  const store = await openStore(storageUrl);
  const micros = Number(process.hrtime.bigint() - start) / 1000;
  try {
    const rebuilt = await store.stats(ALL_BY_HOUR);
    if (JSON.stringify(rebuilt.series.map((p) => [p.bucket_start, p.count])) !== JSON.stringify(expected.series.map((p) => [p.bucket_start, p.count]))) {
      throw new Error(`the backfilled roll-ups of ${backend} do not count what the appends' did`);
    }
  } finally {
    await store.close();
  }
  console.log(`store query case: roll-up backfill of ${decisions.toLocaleString('en-US')} decisions in ${backend}: ${(micros / 1e6).toFixed(1)} s`);
  return {
    name: `store_rollup_backfill_${backend}`,
    value: micros / 1000,
    unit: 'ms',
    baseline_name: `stats over all decisions from raw rows (${backend})`,
    baseline_value: rawPassMicros / 1000,
    ratio: micros / rawPassMicros,
    decisions,
  };
}

/**
 * The query rows (p50 and p95 of each query against getDecision by id) of a store holding
 * `decisions` decisions as `observedEvent` makes them; the store scale case measures the same
 * queries on its 10M fixture.
 */
export async function measureQueries(store, backend, decisions, samples, suffix = '') {
  const since = new Date(END - 7 * 86_400_000).toISOString();
  const filtered = (i) => ({ tenant: tenantOf(i), type: 'refund.approve', outcome: OUTCOMES[i % OUTCOMES.length], since, limit: 50 });
  const cursors = [];
  for (let t = 0; t < TENANTS; t++) cursors.push((await store.queryDecisions({ tenant: tenantOf(t), limit: 50 })).next_cursor);

  // Warm caches and prepared statements first; then sample.
  for (let i = 0; i < 20; i++) await store.queryDecisions(filtered(i));
  const list = await latencies(samples, (i) => store.queryDecisions(filtered(i)));
  const byActor = (i) => ({ tenant: tenantOf(i), actor_id: `agent-${(i * 13) % ACTORS}`, min_confidence: 0.5, since, limit: 50 });
  for (let i = 0; i < 20; i++) await store.queryDecisions(byActor(i));
  const newFilters = await latencies(samples, (i) => store.queryDecisions(byActor(i)));
  // One day of every tenant, a different day of the last week for each sample.
  const day = (i) => {
    const until = END - (i % 7) * 86_400_000;
    return { since: new Date(until - 86_400_000).toISOString(), until: new Date(until).toISOString(), bucket_ms: 3_600_000 };
  };
  for (let i = 0; i < 3; i++) await store.stats(day(i));
  const stats = await latencies(Math.min(samples, 100), (i) => store.stats(day(i)));
  const chains = Math.max(1, Math.floor(decisions / (TENANTS * CHAIN_EVERY)));
  const graph = async (i) => {
    const root = chainRoot(i % chains, i % TENANTS);
    const [detail] = await store.getDecision(decisionId(root), { tenant: tenantOf(root) });
    const walked = await walkDecisionGraph(store, detail.record, GRAPH_DEPTH);
    if (walked.nodes.length < CHAIN_LENGTH) throw new Error(`graph of ${decisionId(root)} has ${walked.nodes.length} nodes, expected ${CHAIN_LENGTH}`);
  };
  for (let i = 0; i < 5; i++) await graph(i);
  const graphs = await latencies(samples, graph);
  const page = await latencies(samples, (i) => store.queryDecisions({ tenant: tenantOf(i), limit: 50, cursor: cursors[i % TENANTS] }));
  const byId = await latencies(samples, (i) => store.getDecision(decisionId((i * 7919) % decisions), { tenant: tenantOf((i * 7919) % decisions) }));

  const rows = [];
  for (const [query, values] of [
    ['filtered_list', list],
    ['filtered_list_actor_confidence', newFilters],
    ['cursor_page', page],
    ['stats_day', stats],
    ['graph_depth5', graphs],
  ]) {
    for (const q of [50, 95]) {
      const value = percentile(values, q);
      const baseline = percentile(byId, q);
      rows.push({
        name: `store_${query}_p${q}_${backend}${suffix}`,
        value,
        unit: 'µs',
        baseline_name: `getDecision by id p${q} (${backend})`,
        baseline_value: baseline,
        ratio: value / baseline,
        decisions,
      });
    }
  }
  return rows;
}

/** The i-th decision of `tenant` that starts a chain; its chain's next decisions are root + TENANTS, + 2 x TENANTS, … */
function chainRoot(chain, tenant) {
  return chain * TENANTS * CHAIN_EVERY + tenant;
}

/** The parent of decision i in its chain, or null. */
function parentOf(i) {
  const position = Math.floor(i / TENANTS) % CHAIN_EVERY;
  return position > 0 && position < CHAIN_LENGTH ? decisionId(i - TENANTS) : null;
}

/**
 * One decision.observed event per decision, spread over tenants, types, outcomes, actors and 30
 * days; durations up to 2 s, 1 in 200 with a contract violation, 1 in 4 sampled at 1/10.
 */
async function populate(store, decisions) {
  let next = 0;
  const call = () => {
    const events = [];
    for (let n = 0; n < EVENTS_PER_CALL && next < decisions; n++, next++) events.push(observedEvent(next, decisions));
    return events;
  };
  while (next < decisions) {
    const batch = [];
    for (let k = 0; k < CALLS_IN_FLIGHT && next < decisions; k++) batch.push(store.append(call()));
    await Promise.all(batch);
  }
}

/** Decision i of `decisions`: one decision.observed event (see populate). */
export function observedEvent(i, decisions) {
  const startMillis = END - Math.floor((((i * 2654435761) % decisions) / decisions) * DAYS_MS);
  const time = new Date(startMillis).toISOString();
  return {
    schema_version: '1.0',
    event_id: `bench-${i}`,
    event_type: 'decision.observed',
    decision_id: decisionId(i),
    decision_type: TYPES[Math.floor(i / TENANTS) % TYPES.length],
    parent_decision_id: parentOf(i),
    trace_id: (i + 1).toString(16).padStart(32, '0'),
    span_id: null,
    tenant_id: tenantOf(i),
    environment: 'prod',
    timestamp: time,
    actor: { id: `agent-${Math.floor(i / 7) % ACTORS}`, type: i % 20 === 0 ? 'human' : 'agent', version: null, org: null },
    payload: {
      outcome: OUTCOMES[Math.floor(i / (TENANTS * TYPES.length)) % OUTCOMES.length],
      confidence: (i % 100) / 100,
      start_time: time,
      end_time: new Date(startMillis + ((i * 7919) % 2000)).toISOString(),
      evidence: { order_total: i % 500, customer_tier: i % 3 === 0 ? 'gold' : 'standard' },
    },
    causal_links: [],
    source: 'api.events',
    ...(i % 4 === 0 ? { sampling: { trace_sampled: true, adjusted_count: 10 } } : {}),
    ...(i % 200 === 3 ? { violations: [{ rule: 'key_evidence', detail: 'order_total missing' }] } : {}),
  };
}

export async function latencies(samples, query) {
  const values = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    await query(i);
    values.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return values;
}

export function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)];
}

function tenantOf(i) {
  return `tenant-${i % TENANTS}`;
}

function decisionId(i) {
  return `decision-${i}`;
}

async function postgresUnreachable() {
  try {
    await withClient((client) => client.query('SELECT 1'));
    return null;
  } catch (error) {
    return `not reachable at ${new URL(POSTGRES_URL).host}: ${error.message || error.name}`;
  }
}

async function withClient(body) {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}
