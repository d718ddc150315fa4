import assert from 'node:assert/strict';
import { assertDurationNear } from './duration-accuracy.js';
import type { DecisionEvent } from '@decision-trace/model';
import { InvalidQueryError, type AuditEntry, type DecisionQuery, type DecisionStore } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';
import { contextSpan } from './trace-suite.js';

/**
 * The shared suite's part about reading decisions for analysis: every filter of
 * queryDecisions, stats, outcomeCounts, verification of one tenant and the audit log.
 * Registered by runStoreSuite, so every backend runs it.
 */
type WithStore = (title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>) => void;
type MakeEvent = (event_type: DecisionEvent['event_type'], payload: Record<string, unknown>, overrides?: Partial<DecisionEvent>) => DecisionEvent;

const T1 = '11111111111111111111111111111111';
const T3 = '33333333333333333333333333333333';
const HOUR = 3_600_000;

function at(minute: number, seconds = 0, millis = 0): string {
  return new Date(Date.UTC(2025, 2, 1, 10, minute, seconds, millis)).toISOString();
}

export function registerAnalyticsTests(withStore: WithStore, makeEvent: MakeEvent): void {
  /**
   * acme: d1 10:00 refund.approve.v2 approved 0.95, agent-1, svc-a, 2 s, adjusted 4, tokens 100/20
   *       d2 10:10 refund.approve.v2 denied 0.35, human-1 (human), svc-b, 0.5 s, a violation
   *       d6 10:30 refund.approve.v3 denied 0.1, agent-2, svc-b, 1 s, adjusted 2.5
   *       d3 11:10 refund.approve.v2 approved 0.05, agent-1, svc-a, 0 s, tokens 50/5
   *       d4 11:20 kyc.check.v1 pending, no confidence, agent-2
   * globex: d5 10:20 refund.approve.v3 approved 1.0, adjusted 2
   */
  async function seed(store: DecisionStore): Promise<void> {
    const agent = (id: string) => ({ id, type: 'agent', version: null, org: null });
    const observed = (id: string, minute: number, payload: Record<string, unknown>, overrides: Partial<DecisionEvent> = {}) =>
      makeEvent('decision.observed', payload, { decision_id: id, timestamp: at(minute), trace_id: null, ...overrides });
    await store.append([
      observed(
        'd1',
        0,
        { outcome: 'approved', confidence: 0.95, start_time: at(0), end_time: at(0, 2), evidence: { order_total: 120, tier: 'gold', vip: true } },
        { actor: agent('agent-1'), service_name: 'svc-a', sampling: { trace_sampled: true, adjusted_count: 4 }, trace_id: T1, span_id: 'plan-d1' },
      ),
      observed(
        'd2',
        10,
        { outcome: 'denied', confidence: 0.35, start_time: at(10), end_time: at(10, 0, 500), evidence: { order_total: '120', tier: 'silver' } },
        {
          actor: { id: 'human-1', type: 'human', version: null, org: null },
          service_name: 'svc-b',
          violations: [{ rule: 'outcome', detail: 'denied needs an approval' }],
        },
      ),
      observed(
        'd6',
        30,
        { outcome: 'denied', confidence: 0.1, start_time: at(30), end_time: at(30, 1), evidence: { order_total: 99.5 } },
        { decision_type: 'refund.approve.v3', actor: agent('agent-2'), service_name: 'svc-b', sampling: { trace_sampled: true, adjusted_count: 2.5 } },
      ),
      observed(
        'd3',
        70,
        { outcome: 'approved', confidence: 0.05, evidence: { order_total: 99.5, tier: 'gold', vip: false, nested: { x: 1 }, none: null } },
        { actor: agent('agent-1'), service_name: 'svc-a', trace_id: T3, span_id: 'plan-d3' },
      ),
      observed('d4', 80, { evidence: { 'a.b "c"\\': 'odd key' } }, { decision_type: 'kyc.check.v1', actor: agent('agent-2') }),
      observed(
        'd5',
        20,
        { outcome: 'approved', confidence: 1 },
        { tenant_id: 'globex', decision_type: 'refund.approve.v3', sampling: { trace_sampled: true, adjusted_count: 2 } },
      ),
    ]);
    const llm = (spanId: string, parent: string, trace: string, input: number, output: number) =>
      contextSpan(spanId, parent, { trace, kind: 'LLM', usage: { input, output, cached: 0, total: input + output } });
    await store.appendContextSpans([
      contextSpan('plan-d1', null, { trace: T1, kind: 'AGENT' }),
      llm('llm-d1', 'plan-d1', T1, 100, 20),
      contextSpan('plan-d3', null, { trace: T3, kind: 'AGENT' }),
      llm('llm-d3', 'plan-d3', T3, 50, 5),
    ]);
  }

  async function ids(store: DecisionStore, query: DecisionQuery): Promise<string[]> {
    return (await store.queryDecisions({ limit: 1000, ...query })).decisions.map((d) => d.id);
  }

  withStore('filters: actor id and type, service, status', async (store) => {
    await seed(store);
    assert.deepEqual(await ids(store, { actor_id: 'agent-1' }), ['d3', 'd1']);
    assert.deepEqual(await ids(store, { actor_id: 'agent-1', tenant: 'globex' }), []);
    assert.deepEqual(await ids(store, { actor_type: 'human' }), ['d2']);
    assert.deepEqual(await ids(store, { actor_type: 'agent', tenant: 'acme' }), ['d4', 'd3', 'd6', 'd1']);
    assert.deepEqual(await ids(store, { service: 'svc-b' }), ['d6', 'd2']);
    assert.deepEqual(await ids(store, { status: 'pending' }), ['d4']);
    assert.deepEqual(await ids(store, { status: 'decided', service: 'svc-a' }), ['d3', 'd1']);
    assert.deepEqual(await ids(store, { actor_id: '', service: '', status: '' }), ['d4', 'd3', 'd6', 'd5', 'd2', 'd1'], 'empty filters do not filter');
  });

  withStore('filters: confidence bounds are inclusive; records without confidence never match one', async (store) => {
    await seed(store);
    assert.deepEqual(await ids(store, { min_confidence: 0.35 }), ['d5', 'd2', 'd1']);
    assert.deepEqual(await ids(store, { max_confidence: 0.35 }), ['d3', 'd6', 'd2']);
    assert.deepEqual(await ids(store, { min_confidence: 0.35, max_confidence: 0.35 }), ['d2']);
    assert.deepEqual(await ids(store, { min_confidence: 0, max_confidence: 1 }), ['d3', 'd6', 'd5', 'd2', 'd1']);
    assert.deepEqual(await ids(store, { min_confidence: 0.1, max_confidence: 0.5, tenant: 'acme' }), ['d6', 'd2']);
  });

  withStore('filters: has_violations true and false', async (store) => {
    await seed(store);
    assert.deepEqual(await ids(store, { has_violations: true }), ['d2']);
    assert.deepEqual(await ids(store, { has_violations: false, tenant: 'acme' }), ['d4', 'd3', 'd6', 'd1']);
    assert.deepEqual(await ids(store, { has_violations: true, outcome: 'approved' }), []);
  });

  withStore('filters: evidence key=value, strings as is, numbers and booleans by their JSON text', async (store) => {
    await seed(store);
    const evidence = (...pairs: Array<[string, string]>) => pairs.map(([key, value]) => ({ key, value }));
    assert.deepEqual(await ids(store, { evidence: evidence(['order_total', '120']) }), ['d2', 'd1'], 'the number 120 and the string "120"');
    assert.deepEqual(await ids(store, { evidence: evidence(['order_total', '99.5']) }), ['d3', 'd6']);
    assert.deepEqual(await ids(store, { evidence: evidence(['order_total', '120.0']) }), [], 'JSON text, not numeric equality');
    assert.deepEqual(await ids(store, { evidence: evidence(['tier', 'gold']) }), ['d3', 'd1']);
    assert.deepEqual(await ids(store, { evidence: evidence(['vip', 'true']) }), ['d1']);
    assert.deepEqual(await ids(store, { evidence: evidence(['vip', 'false']) }), ['d3']);
    assert.deepEqual(await ids(store, { evidence: evidence(['tier', 'gold'], ['order_total', '120']) }), ['d1'], 'every condition holds');
    assert.deepEqual(await ids(store, { evidence: evidence(['a.b "c"\\', 'odd key']) }), ['d4'], 'keys with dots, quotes and backslashes');
    assert.deepEqual(await ids(store, { evidence: evidence(['nested', '{"x":1}']) }), [], 'objects never match');
    assert.deepEqual(await ids(store, { evidence: evidence(['none', 'null']) }), [], 'null never matches');
    assert.deepEqual(await ids(store, { evidence: evidence(['missing', 'gold']) }), []);
    assert.deepEqual(await ids(store, { evidence: evidence(['tier', 'GOLD']) }), [], 'case matters');
    assert.deepEqual(
      await ids(store, { evidence: evidence(['tier', 'gold']), actor_type: 'agent', max_confidence: 0.5, tenant: 'acme' }),
      ['d3'],
      'combined with the other filters',
    );
  });

  withStore('filters: paging keeps the new filters', async (store) => {
    await seed(store);
    const first = await store.queryDecisions({ actor_type: 'agent', has_violations: false, min_confidence: 0.05, limit: 2 });
    assert.deepEqual(
      first.decisions.map((d) => d.id),
      ['d3', 'd6'],
    );
    assert.ok(first.next_cursor);
    const second = await store.queryDecisions({ actor_type: 'agent', has_violations: false, min_confidence: 0.05, limit: 2, cursor: first.next_cursor });
    assert.deepEqual(
      second.decisions.map((d) => d.id),
      ['d5', 'd1'],
      'globex d5 has the default agent actor',
    );
    assert.equal(second.next_cursor, null);
  });

  withStore('filters: bad confidence, has_violations or evidence is an InvalidQueryError', async (store) => {
    const bad: DecisionQuery[] = [
      { min_confidence: 1.5 },
      { max_confidence: -0.1 },
      { min_confidence: Number.NaN },
      { min_confidence: '0.5' as unknown as number },
      { min_confidence: 0.8, max_confidence: 0.2 },
      { has_violations: 'yes' as unknown as boolean },
      { evidence: [{ key: '', value: 'x' }] },
      { evidence: [{ key: 'k', value: 1 as unknown as string }] },
    ];
    for (const query of bad) {
      await assert.rejects(store.queryDecisions(query), InvalidQueryError, JSON.stringify(query));
      await assert.rejects(store.outcomeCounts(query), InvalidQueryError, JSON.stringify(query));
      await assert.rejects(store.stats(query), InvalidQueryError, JSON.stringify(query));
    }
  });

  withStore('stats: weighted counts, series per bucket, rates, histogram, percentiles, tokens', async (store) => {
    await seed(store);
    const stats = await store.stats({ tenant: 'acme', since: '2025-03-01T10:00:00Z', until: '2025-03-01T12:00:00Z', bucket_ms: HOUR });
    assert.equal(stats.since, '2025-03-01T10:00:00.000Z');
    assert.equal(stats.until, '2025-03-01T12:00:00.000Z');
    assert.equal(stats.bucket_ms, HOUR);
    assert.deepEqual(stats.total, { count: 5, weighted_count: 9.5 });
    const b0 = '2025-03-01T10:00:00.000Z';
    const b1 = '2025-03-01T11:00:00.000Z';
    assert.deepEqual(stats.series, [
      { bucket_start: b0, type: 'refund.approve', version: 'v2', outcome: 'approved', count: 1, weighted_count: 4, rate: 0.8 },
      { bucket_start: b0, type: 'refund.approve', version: 'v2', outcome: 'denied', count: 1, weighted_count: 1, rate: 0.2 },
      { bucket_start: b0, type: 'refund.approve', version: 'v3', outcome: 'denied', count: 1, weighted_count: 2.5, rate: 1 },
      { bucket_start: b1, type: 'kyc.check', version: 'v1', outcome: null, count: 1, weighted_count: 1, rate: 1 },
      { bucket_start: b1, type: 'refund.approve', version: 'v2', outcome: 'approved', count: 1, weighted_count: 1, rate: 1 },
    ]);
    assert.deepEqual(stats.by_outcome, [
      { type: 'kyc.check', version: 'v1', outcome: null, count: 1, weighted_count: 1, rate: 1 },
      { type: 'refund.approve', version: 'v2', outcome: 'approved', count: 2, weighted_count: 5, rate: 5 / 6 },
      { type: 'refund.approve', version: 'v2', outcome: 'denied', count: 1, weighted_count: 1, rate: 1 / 6 },
      { type: 'refund.approve', version: 'v3', outcome: 'denied', count: 1, weighted_count: 2.5, rate: 1 },
    ]);
    assert.deepEqual(
      stats.confidence_histogram.map((bin) => bin.count),
      [1, 1, 0, 1, 0, 0, 0, 0, 0, 1],
      '0.05, 0.1, 0.35 and 0.95; the pending record has no confidence',
    );
    assert.deepEqual(stats.confidence_histogram[0], { lower: 0, upper: 0.1, count: 1 });
    assert.deepEqual(stats.confidence_histogram[9], { lower: 0.9, upper: 1, count: 1 });
    // Durations 0, 0, 500, 1000, 2000 ms, interpolated between ranks, within the sketch's accuracy.
    assert.equal(stats.duration_ms.count, 5);
    for (const [key, exact] of Object.entries({ p50: 500, p90: 1600, p95: 1800, p99: 1960, max: 2000 })) {
      assertDurationNear(stats.duration_ms[key as keyof typeof stats.duration_ms], exact, key);
    }
    assert.deepEqual(stats.token_usage, { decisions: 2, input_tokens: 150, output_tokens: 25, total_tokens: 175 });
  });

  withStore('stats: buckets align to since; filters and the window apply; confidence 1 falls in the last bin', async (store) => {
    await seed(store);
    const halfHours = await store.stats({ since: '2025-03-01T10:05:00Z', until: '2025-03-01T11:00:00Z', bucket_ms: HOUR / 3, type: 'refund.approve' });
    // d1 (10:00) is before the window; d2 10:10 and d5 10:20 fall in [10:05, 10:25), d6 10:30 in [10:25, 10:45).
    assert.deepEqual(
      halfHours.series.map((p) => [p.bucket_start, p.version, p.outcome, p.count, p.rate]),
      [
        ['2025-03-01T10:05:00.000Z', 'v2', 'denied', 1, 1],
        ['2025-03-01T10:05:00.000Z', 'v3', 'approved', 1, 1],
        ['2025-03-01T10:25:00.000Z', 'v3', 'denied', 1, 1],
      ],
    );
    assert.equal(halfHours.confidence_histogram[9]!.count, 1, 'confidence 1.0 of d5');
    assert.deepEqual(halfHours.total, { count: 3, weighted_count: 5.5 });

    const filtered = await store.stats({
      since: '2025-03-01T10:00:00Z',
      until: '2025-03-01T12:00:00Z',
      has_violations: false,
      actor_type: 'agent',
      evidence: [{ key: 'tier', value: 'gold' }],
    });
    assert.deepEqual(filtered.total, { count: 2, weighted_count: 5 });
    assert.deepEqual(filtered.token_usage, { decisions: 2, input_tokens: 150, output_tokens: 25, total_tokens: 175 });

    const empty = await store.stats({ tenant: 'nobody', since: '2025-03-01T10:00:00Z', until: '2025-03-01T12:00:00Z' });
    assert.deepEqual(empty.total, { count: 0, weighted_count: 0 });
    assert.deepEqual(empty.series, []);
    assert.deepEqual(empty.by_outcome, []);
    assert.equal(empty.confidence_histogram.length, 10);
    assert.deepEqual(empty.duration_ms, { count: 0, p50: null, p90: null, p95: null, p99: null, max: null });
    assert.deepEqual(empty.token_usage, { decisions: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0 });
  });

  withStore('stats: the default window is the last 24 hours in 1 hour buckets; too many buckets is refused', async (store) => {
    await seed(store);
    const before = Date.now();
    const recent = await store.stats({});
    const until = Date.parse(recent.until);
    assert.ok(until >= before - 1000 && until <= Date.now() + 1000, 'until is now');
    assert.equal(until - Date.parse(recent.since), 24 * HOUR);
    assert.equal(recent.bucket_ms, HOUR);
    assert.equal(recent.total.count, 0, 'the seeded decisions are from 2025');
    const dayBefore = await store.stats({ until: '2025-03-02T10:00:00Z' });
    assert.equal(dayBefore.since, '2025-03-01T10:00:00.000Z', 'since defaults to until - 24 h');
    assert.equal(dayBefore.total.count, 6);

    const window = { since: '2025-03-01T00:00:00Z', until: '2025-03-02T00:00:00Z' };
    assert.equal((await store.stats({ ...window, bucket_ms: 86_400 })).series.length, 6, 'exactly 1000 buckets is allowed');
    await assert.rejects(store.stats({ ...window, bucket_ms: 60_000 }), /too many buckets: 1440/);
    await assert.rejects(store.stats({ ...window, bucket_ms: 60_000 }), InvalidQueryError);
    await assert.rejects(store.stats({ ...window, bucket_ms: 0 }), InvalidQueryError);
    await assert.rejects(store.stats({ ...window, bucket_ms: 1.5 }), InvalidQueryError);
    await assert.rejects(store.stats({ since: window.until, until: window.since }), InvalidQueryError);
    await assert.rejects(store.stats({ since: 'yesterday' }), InvalidQueryError);
  });

  withStore('outcomeCounts: raw and weighted counts per outcome, null first', async (store) => {
    await seed(store);
    assert.deepEqual(await store.outcomeCounts({ tenant: 'acme' }), [
      { outcome: null, count: 1, weighted_count: 1 },
      { outcome: 'approved', count: 2, weighted_count: 5 },
      { outcome: 'denied', count: 2, weighted_count: 3.5 },
    ]);
    assert.deepEqual(await store.outcomeCounts({ type: 'refund.approve.v3' }), [
      { outcome: 'approved', count: 1, weighted_count: 2 },
      { outcome: 'denied', count: 1, weighted_count: 2.5 },
    ]);
    assert.deepEqual(await store.outcomeCounts({ type: 'refund.approve', since: '2025-03-01T11:00:00Z' }), [
      { outcome: 'approved', count: 1, weighted_count: 1 },
    ]);
    assert.deepEqual(await store.outcomeCounts({ tenant: 'nobody' }), []);
  });

  withStore('verifyLedger with a tenant checks only that tenant’s chain', async (store, database) => {
    await seed(store);
    await store.append([makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'd5', tenant_id: 'globex' })]);
    assert.deepEqual(await store.verifyLedger({ tenant: 'acme' }), { ok: true, checked: 5, first_broken: null });
    assert.deepEqual(await store.verifyLedger({ tenant: 'globex' }), { ok: true, checked: 2, first_broken: null });
    assert.deepEqual(await store.verifyLedger({ tenant: 'nobody' }), { ok: true, checked: 0, first_broken: null });

    await database.rewriteLedgerEvent('globex', 2, (event) => ({ ...event, payload: { key: 'k', value: 2 } }));
    assert.deepEqual(await store.verifyLedger({ tenant: 'acme' }), { ok: true, checked: 5, first_broken: null }, 'acme is untouched');
    const globex = await store.verifyLedger({ tenant: 'globex' });
    assert.equal(globex.ok, false);
    assert.deepEqual([globex.first_broken?.tenant_id, globex.first_broken?.seq, globex.first_broken?.reason], ['globex', 2, 'hash mismatch']);
    assert.equal((await store.verifyLedger()).ok, false);
    assert.equal((await store.verifyLedger({ tenant: '' })).ok, false, 'an empty tenant means every tenant');

    await database.deleteLedgerRow('acme', 5);
    const acme = await store.verifyLedger({ tenant: 'acme' });
    assert.equal(acme.ok, false, 'a row missing at the end of the chain is found with the tenant’s record counts');
    assert.equal(acme.first_broken?.tenant_id, 'acme');
  });

  const entry = (minute: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
    at: at(minute),
    key_name: 'analyst',
    role: 'read',
    tenant: 'acme',
    method: 'GET',
    path: '/v1/decisions',
    query: { type: 'refund.approve', outcome: 'denied' },
    status: 200,
    ...overrides,
  });

  withStore('audit log: entries newest first, paged with a cursor, filtered by tenant and since', async (store) => {
    assert.deepEqual(await store.queryAudit({}), { entries: [], next_cursor: null });
    await store.appendAudit([entry(1), entry(3, { key_name: 'ops', role: 'admin', tenant: null, path: '/v1/stats', query: {} })]);
    await store.appendAudit([entry(2, { tenant: 'globex', status: 403 }), entry(3, { path: '/v1/ledger/verify' })]);
    await store.appendAudit([]);

    const all = await store.queryAudit({});
    assert.deepEqual(
      all.entries.map((e) => [e.at, e.path]),
      [
        [at(3), '/v1/ledger/verify'],
        [at(3), '/v1/stats'],
        [at(2), '/v1/decisions'],
        [at(1), '/v1/decisions'],
      ],
      'the same instant: the entry written later first',
    );
    assert.deepEqual(all.entries[1], { ...entry(3, { key_name: 'ops', role: 'admin', tenant: null, path: '/v1/stats', query: {} }) });
    assert.deepEqual(all.entries[3], entry(1));
    assert.equal(all.next_cursor, null);

    const first = await store.queryAudit({ limit: 3 });
    assert.deepEqual(first.entries, all.entries.slice(0, 3));
    assert.ok(first.next_cursor);
    const second = await store.queryAudit({ limit: 3, cursor: first.next_cursor });
    assert.deepEqual(second, { entries: all.entries.slice(3), next_cursor: null });

    assert.deepEqual(
      (await store.queryAudit({ tenant: 'acme' })).entries.map((e) => e.at),
      [at(3), at(1)],
    );
    assert.deepEqual(
      (await store.queryAudit({ tenant: 'globex' })).entries.map((e) => e.status),
      [403],
    );
    assert.deepEqual(
      (await store.queryAudit({ since: at(2) })).entries.map((e) => e.at),
      [at(3), at(3), at(2)],
      'since is inclusive',
    );
    const acmePage = await store.queryAudit({ tenant: 'acme', limit: 1 });
    assert.deepEqual(
      (await store.queryAudit({ tenant: 'acme', limit: 1, cursor: acmePage.next_cursor! })).entries.map((e) => e.at),
      [at(1)],
    );
  });

  withStore('audit log: bad queries are InvalidQueryErrors; a bad entry stores nothing of its call', async (store) => {
    await assert.rejects(store.queryAudit({ cursor: 'nope' }), InvalidQueryError);
    const decisionCursor = Buffer.from(JSON.stringify([1, 'a', 'b'])).toString('base64url');
    await assert.rejects(store.queryAudit({ cursor: decisionCursor }), InvalidQueryError, 'a decision listing cursor is not an audit cursor');
    await assert.rejects(store.queryAudit({ since: 'yesterday' }), InvalidQueryError);
    await assert.rejects(store.queryAudit({ limit: 0 }), InvalidQueryError);
    await assert.rejects(store.appendAudit([entry(1), entry(2, { at: 'yesterday' })]), TypeError);
    await assert.rejects(store.appendAudit([entry(1), { ...entry(2), status: undefined as unknown as number }]), TypeError);
    assert.deepEqual((await store.queryAudit({})).entries, []);
  });
}
