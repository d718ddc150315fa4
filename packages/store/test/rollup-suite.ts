import assert from 'node:assert/strict';
import type { DecisionEvent, DecisionRecord } from '@decision-trace/model';
import { decisionSortTime, type DecisionStats, type DecisionStore, type StatsQuery } from '../src/index.js';
import { assertDurationNear } from './duration-accuracy.js';
import type { StoreTestDatabase } from './store-suite.js';
import { contextSpan } from './trace-suite.js';

/**
 * The shared suite's part about the hourly stats roll-ups (stats-rollup.ts): whatever path
 * serves a stats window (roll-ups for its whole hours, raw rows for the rest), the answer is a
 * recount of the decisions stored, after appends that move decisions between groups and hours,
 * redelivery, token roll-ups, retention, and the migration's backfill.
 */
type WithStore = (title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>) => void;
type MakeEvent = (event_type: DecisionEvent['event_type'], payload: Record<string, unknown>, overrides?: Partial<DecisionEvent>) => DecisionEvent;

const HOUR = 3_600_000;
const BASE = Date.UTC(2025, 2, 1, 9);
const TENANTS = ['acme', 'globex'];
const TYPES = ['refund.approve.v2', 'refund.approve.v3', 'kyc.check.v1', 'route.pick'];
const OUTCOMES = ['approved', 'denied', null];

/** mulberry32: a small seeded generator, so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An instant with microseconds, so durations are fractional milliseconds. */
function instant(millis: number, micros = 0): string {
  return `${new Date(millis).toISOString().slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

const WINDOWS: Array<Pick<StatsQuery, 'since' | 'until' | 'bucket_ms'>> = [
  { since: instant(BASE), until: instant(BASE + 8 * HOUR), bucket_ms: HOUR },
  { since: instant(BASE + HOUR), until: instant(BASE + 5 * HOUR + 37 * 60_000), bucket_ms: HOUR },
  { since: instant(BASE + 2 * HOUR), until: instant(BASE + 8 * HOUR), bucket_ms: 2 * HOUR },
  { since: instant(BASE + HOUR), until: instant(BASE + HOUR + 20 * 60_000), bucket_ms: HOUR },
  { since: instant(BASE + HOUR + 15 * 60_000), until: instant(BASE + 6 * HOUR), bucket_ms: HOUR },
];

const FILTERS: StatsQuery[] = [
  {},
  { tenant: 'acme' },
  { type: 'refund.approve' },
  { type: 'refund.approve.v3' },
  { type: 'refund.approve', version: 'v2', tenant: 'globex' },
  { outcome: 'denied' },
  { type: 'route.pick' },
  { actor_type: 'human' },
  { tenant: 'acme', min_confidence: 0.5 },
];

export function registerRollupTests(withStore: WithStore, makeEvent: MakeEvent): void {
  /** Random decisions over 8 hours; a third get a later event that moves them; some get LLM token usage. */
  async function seed(store: DecisionStore, seedValue: number): Promise<void> {
    const next = random(seedValue);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
    const first: DecisionEvent[] = [];
    const later: DecisionEvent[] = [];
    const spans = [];
    for (let i = 0; i < 160; i++) {
      const tenant = pick(TENANTS);
      // Some on the hour exactly, the rest anywhere in the 8 hours.
      const at = next() < 0.1 ? BASE + Math.floor(next() * 8) * HOUR : BASE + Math.floor(next() * 8 * HOUR);
      const durationKind = next();
      const durationMs = durationKind < 0.15 ? null : durationKind < 0.25 ? 0 : durationKind < 0.35 ? next() * 0.01 : 10 ** (next() * 6);
      const payload: Record<string, unknown> = { outcome: pick(OUTCOMES), evidence: { n: i } };
      const confidenceKind = next();
      if (confidenceKind > 0.2) payload.confidence = confidenceKind > 0.9 ? 1 : confidenceKind > 0.85 ? 0 : next();
      if (durationMs !== null) {
        payload.start_time = instant(at);
        const end = at + durationMs;
        payload.end_time = instant(Math.floor(end), Math.round((end - Math.floor(end)) * 1000) % 1000);
      }
      const trace = (i + 1).toString(16).padStart(32, '0');
      const adjusted = pick([null, null, 2, 2.5, 1 / 3]);
      first.push(
        makeEvent('decision.observed', payload, {
          tenant_id: tenant,
          decision_id: `r-${i}`,
          decision_type: pick(TYPES),
          timestamp: instant(at),
          trace_id: trace,
          span_id: `span-${i}`,
          actor: { id: `a-${i % 5}`, type: next() < 0.3 ? 'human' : 'agent', version: null, org: null },
          ...(adjusted === null ? {} : { sampling: { trace_sampled: true, adjusted_count: adjusted } }),
        }),
      );
      if (next() < 0.35) {
        // An outcome later: the decision changes group, and (without a start time) hour.
        later.push(
          makeEvent(
            'decision.outcome',
            { outcome: pick(['approved', 'denied', 'escalated']) },
            {
              tenant_id: tenant,
              decision_id: `r-${i}`,
              timestamp: instant(at + Math.floor(next() * 2 * HOUR)),
              trace_id: trace,
            },
          ),
        );
      }
      if (next() < 0.2) {
        spans.push(contextSpan(`span-${i}`, null, { tenant, trace, kind: 'AGENT' }));
        spans.push(
          contextSpan(`llm-${i}`, `span-${i}`, { tenant, trace, kind: 'LLM', usage: { input: 10 + i, output: i % 7, cached: 0, total: 10 + i + (i % 7) } }),
        );
      }
    }
    await store.append(first.slice(0, 90));
    await Promise.all([store.append(first.slice(90)), store.appendContextSpans(spans.slice(0, 10))]);
    await store.append(later);
    await store.appendContextSpans(spans.slice(10));
    const redelivered = await store.append([...first.slice(40, 70), ...later.slice(0, 10)]);
    assert.equal(redelivered.appended, 0, 'redelivered events are duplicates');
  }

  async function storedRecords(store: DecisionStore): Promise<DecisionRecord[]> {
    const page = await store.queryDecisions({ limit: 1000 });
    assert.equal(page.next_cursor, null);
    return page.decisions;
  }

  /** Every window and filter: the store's stats equal a recount of its records. */
  async function assertStatsAreRecounts(store: DecisionStore, context: string): Promise<void> {
    const records = await storedRecords(store);
    for (const window of WINDOWS) {
      for (const filter of FILTERS) {
        const query = { ...filter, ...window };
        const label = `${context}: ${JSON.stringify(query)}`;
        const stats = await store.stats(query);
        assertRecount(stats, recount(records, query), label);
        // The same window in half-hour buckets is always read from raw rows: its series, merged
        // into the query's buckets, is the same.
        const halves = await store.stats({ ...query, bucket_ms: HOUR / 2 });
        assert.deepEqual(seriesCounts(halves, stats), seriesCounts(stats, stats), `${label}: series against half-hour buckets`);
      }
    }
  }

  withStore(
    'roll-ups: stats equal a recount of the decisions for windows on and off the hour grid, filters roll-ups can and cannot serve',
    async (store, database) => {
      await seed(store, 19);
      await assertStatsAreRecounts(store, 'after appends');

      // Whole hours come from the roll-ups: a decision removed behind the store's back is still
      // counted there, while the half-hour buckets (raw rows) no longer count it.
      const window = { since: instant(BASE), until: instant(BASE + 8 * HOUR) };
      const before = (await store.stats({ ...window, bucket_ms: HOUR })).total.count;
      await database.tamper.deleteRecord((await storedRecords(store))[0]!.tenant, (await storedRecords(store))[0]!.id);
      assert.equal((await store.stats({ ...window, bucket_ms: HOUR })).total.count, before, 'roll-ups serve the aligned window');
      assert.equal((await store.stats({ ...window, bucket_ms: HOUR / 2 })).total.count, before - 1, 'raw rows serve half-hour buckets');
    },
  );

  withStore('roll-ups: retention takes away what the deleted decisions counted', async (store) => {
    await seed(store, 7);
    const now = new Date(BASE + 10 * HOUR);
    // acme's refunds before 12:30 (mid-hour), every globex decision before 11:00.
    const result = await store.applyRetention(
      [
        { tenant: 'acme', type: 'refund.approve', ttl_ms: 10 * HOUR - (3 * HOUR + 30 * 60_000) },
        { tenant: 'globex', ttl_ms: 8 * HOUR },
      ],
      now,
    );
    assert.ok(result.deleted_decisions > 10, `retention deleted ${result.deleted_decisions}`);
    await assertStatsAreRecounts(store, 'after retention');
  });

  withStore('roll-ups: the migration backfills them from the decisions stored before it', async (store, database) => {
    await seed(store, 23);
    const expected = await store.stats({ ...WINDOWS[0], bucket_ms: HOUR / 2 });
    await store.close();
    await database.forgetRollups();
    const reopened = await database.open();
    try {
      assert.deepEqual(await reopened.stats({ ...WINDOWS[0], bucket_ms: HOUR / 2 }), expected, 'raw rows are what they were');
      await assertStatsAreRecounts(reopened, 'after the backfill');
    } finally {
      await reopened.close();
    }
  });
}

interface Recount {
  count: number;
  weighted: number;
  byOutcome: Map<string, { count: number; weighted: number }>;
  bins: number[];
  tokens: { decisions: number; input_tokens: number; output_tokens: number; total_tokens: number };
  durations: number[];
}

function recount(records: readonly DecisionRecord[], query: StatsQuery): Recount {
  const since = Date.parse(query.since!) * 1000;
  const until = Date.parse(query.until!) * 1000;
  const [type, typeVersion] = query.type === undefined ? [undefined, undefined] : splitType(query.type);
  const version = query.version ?? typeVersion;
  const result: Recount = {
    count: 0,
    weighted: 0,
    byOutcome: new Map(),
    bins: new Array<number>(10).fill(0),
    tokens: { decisions: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0 },
    durations: [],
  };
  for (const record of records) {
    const time = decisionSortTime(record);
    if (time < since || time >= until) continue;
    if (query.tenant !== undefined && record.tenant !== query.tenant) continue;
    if (type !== undefined && record.type !== type) continue;
    if (version !== undefined && record.version !== version) continue;
    if (query.outcome !== undefined && record.outcome !== query.outcome) continue;
    if (query.actor_type !== undefined && record.actor?.type !== query.actor_type) continue;
    if (query.min_confidence !== undefined && !(record.confidence !== null && record.confidence >= query.min_confidence)) continue;
    const weight = record.adjusted_count ?? 1;
    result.count += 1;
    result.weighted += weight;
    const key = JSON.stringify([record.type, record.version, record.outcome]);
    const group = result.byOutcome.get(key) ?? { count: 0, weighted: 0 };
    group.count += 1;
    group.weighted += weight;
    result.byOutcome.set(key, group);
    if (record.confidence !== null && record.confidence >= 0 && record.confidence <= 1) result.bins[Math.min(Math.trunc(record.confidence * 10), 9)]! += 1;
    if (record.duration_ms !== null) result.durations.push(record.duration_ms);
    if (record.token_usage) {
      result.tokens.decisions += 1;
      result.tokens.input_tokens += record.token_usage.input;
      result.tokens.output_tokens += record.token_usage.output;
      result.tokens.total_tokens += record.token_usage.total;
    }
  }
  result.durations.sort((a, b) => a - b);
  return result;
}

function assertRecount(stats: DecisionStats, expected: Recount, label: string): void {
  assert.equal(stats.total.count, expected.count, `${label}: count`);
  assertClose(stats.total.weighted_count, expected.weighted, `${label}: weighted count`);
  assert.deepEqual(
    stats.by_outcome.map((o) => [JSON.stringify([o.type, o.version, o.outcome]), o.count]),
    [...expected.byOutcome].map(([key, group]) => [key, group.count]).sort(([a], [b]) => compareGroups(a as string, b as string)),
    `${label}: by outcome`,
  );
  for (const o of stats.by_outcome)
    assertClose(o.weighted_count, expected.byOutcome.get(JSON.stringify([o.type, o.version, o.outcome]))!.weighted, `${label}: weighted`);
  assert.deepEqual(
    stats.confidence_histogram.map((bin) => bin.count),
    expected.bins,
    `${label}: confidence histogram`,
  );
  assert.deepEqual(stats.token_usage, expected.tokens, `${label}: tokens`);
  const durations = expected.durations;
  assert.equal(stats.duration_ms.count, durations.length, `${label}: durations`);
  if (durations.length === 0) return;
  for (const [key, fraction] of [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const position = fraction * (durations.length - 1);
    const lower = durations[Math.floor(position)]!;
    const exact = lower + (durations[Math.ceil(position)]! - lower) * (position - Math.floor(position));
    assertDurationNear(stats.duration_ms[key], exact, `${label}: ${key}`);
  }
  assertDurationNear(stats.duration_ms.max, durations.at(-1)!, `${label}: max`);
}

/** The series' counts merged into the buckets of `into` (whose bucket is a multiple of stats'). */
function seriesCounts(stats: DecisionStats, into: DecisionStats): Array<[string, number]> {
  const since = Date.parse(into.since);
  const merged = new Map<string, number>();
  for (const point of stats.series) {
    const bucket = Math.floor((Date.parse(point.bucket_start) - since) / into.bucket_ms);
    const key = JSON.stringify([bucket, point.type, point.version, point.outcome]);
    merged.set(key, (merged.get(key) ?? 0) + point.count);
  }
  return [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function compareGroups(a: string, b: string): number {
  const [x, y] = [JSON.parse(a) as Array<string | null>, JSON.parse(b) as Array<string | null>];
  for (let i = 0; i < 3; i++) {
    if (x[i] === y[i]) continue;
    if (x[i] === null) return -1;
    if (y[i] === null) return 1;
    return x[i]! < y[i]! ? -1 : 1;
  }
  return 0;
}

function splitType(value: string): [string, string | undefined] {
  const match = /^(.*)\.(v\d+)$/.exec(value);
  return match === null ? [value, undefined] : [match[1]!, match[2]];
}

function assertClose(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${label}: ${actual} against ${expected}`);
}
