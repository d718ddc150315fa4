import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { DURATION_RELATIVE_ACCURACY } from '@decision-trace/store';

/** The full filter set of GET /v1/decisions, GET /v1/stats, GET /v1/drift and GET /v1/ledger/verify. */

type Body = Record<string, any>;

interface Spec {
  tenant: string;
  id: string;
  type: string;
  /** The outcome; absent: the decision stays pending (no outcome event). */
  outcome?: string;
  at: string;
  durationMs?: number;
  confidence?: number;
  adjustedCount?: number;
  actor?: { id: string; type: string };
  service?: string;
  evidence?: Record<string, unknown>;
  violations?: boolean;
}

function events(s: Spec): unknown[] {
  const common = {
    tenant_id: s.tenant,
    decision_id: s.id,
    decision_type: s.type,
    actor: s.actor ?? null,
    service_name: s.service ?? null,
    sampling: s.adjustedCount === undefined ? null : { trace_sampled: true, adjusted_count: s.adjustedCount },
  };
  const out: unknown[] = [{ ...common, event_id: `${s.id}-start`, event_type: 'decision.start', timestamp: s.at, payload: {} }];
  Object.entries(s.evidence ?? {}).forEach(([key, value], i) =>
    out.push({ ...common, event_id: `${s.id}-ev${i}`, event_type: 'decision.evidence', timestamp: s.at, payload: { key, value } }),
  );
  if (s.outcome !== undefined) {
    out.push({
      ...common,
      event_id: `${s.id}-outcome`,
      event_type: 'decision.outcome',
      timestamp: new Date(Date.parse(s.at) + (s.durationMs ?? 0)).toISOString(),
      payload: s.confidence === undefined ? { status: s.outcome } : { status: s.outcome, confidence: s.confidence },
      violations: s.violations ? [{ rule: 'max_amount', detail: 'above the limit' }] : null,
    });
  }
  return out;
}

/** `n` decisions of one type, version and outcome, a second apart from `start`. */
function many(tenant: string, type: string, outcome: string, n: number, start: string, prefix: string): Spec[] {
  return Array.from({ length: n }, (_, i) => ({
    tenant,
    id: `${prefix}-${i}`,
    type,
    outcome,
    at: new Date(Date.parse(start) + i * 1000).toISOString(),
  }));
}

const FILTER_SET: Spec[] = [
  {
    tenant: 'filters',
    id: 'f-1',
    type: 'refund.approve.v1',
    outcome: 'approved',
    at: '2026-03-01T10:00:00.000Z',
    confidence: 0.9,
    actor: { id: 'bot-1', type: 'agent' },
    service: 'svc-a',
    evidence: { region: 'eu', score: 120, vip: true },
  },
  {
    tenant: 'filters',
    id: 'f-2',
    type: 'refund.approve.v1',
    outcome: 'denied',
    at: '2026-03-01T10:01:00.000Z',
    confidence: 0.4,
    actor: { id: 'alice', type: 'human' },
    service: 'svc-b',
    evidence: { region: 'us', score: 80 },
    violations: true,
  },
  { tenant: 'filters', id: 'f-3', type: 'refund.approve.v1', at: '2026-03-01T10:02:00.000Z', actor: { id: 'bot-2', type: 'agent' }, service: 'svc-a' },
];

/** Two hourly buckets of claim.pay, weighted by the sampling adjusted count. */
const STATS_SET: Spec[] = [
  {
    tenant: 'stats',
    id: 's-1',
    type: 'claim.pay.v1',
    outcome: 'approved',
    at: '2026-04-01T10:05:00.000Z',
    durationMs: 100,
    confidence: 0.05,
    adjustedCount: 1,
  },
  {
    tenant: 'stats',
    id: 's-2',
    type: 'claim.pay.v1',
    outcome: 'approved',
    at: '2026-04-01T10:10:00.000Z',
    durationMs: 200,
    confidence: 0.15,
    adjustedCount: 3,
  },
  { tenant: 'stats', id: 's-3', type: 'claim.pay.v1', outcome: 'denied', at: '2026-04-01T10:20:00.000Z', durationMs: 300, confidence: 0.95 },
  { tenant: 'stats', id: 's-4', type: 'claim.pay.v1', outcome: 'denied', at: '2026-04-01T11:10:00.000Z', durationMs: 400, confidence: 0.95, adjustedCount: 2 },
  { tenant: 'stats', id: 's-5', type: 'claim.pay.v2', outcome: 'approved', at: '2026-04-01T11:20:00.000Z', durationMs: 500 },
];

const DRIFT_SET: Spec[] = [
  // Versions: v1 75% accepted, v2 50% (a shift); v3 and v4 38% / 37% (none).
  ...many('drift', 'offer.accept.v1', 'accepted', 300, '2026-05-01T00:00:00Z', 'v1a'),
  ...many('drift', 'offer.accept.v1', 'rejected', 100, '2026-05-01T00:10:00Z', 'v1r'),
  ...many('drift', 'offer.accept.v2', 'accepted', 200, '2026-05-01T00:20:00Z', 'v2a'),
  ...many('drift', 'offer.accept.v2', 'rejected', 200, '2026-05-01T00:30:00Z', 'v2r'),
  ...many('drift', 'offer.accept.v3', 'accepted', 152, '2026-05-01T00:40:00Z', 'v3a'),
  ...many('drift', 'offer.accept.v3', 'rejected', 48, '2026-05-01T00:45:00Z', 'v3r'),
  ...many('drift', 'offer.accept.v4', 'accepted', 148, '2026-05-01T00:50:00Z', 'v4a'),
  ...many('drift', 'offer.accept.v4', 'rejected', 52, '2026-05-01T00:55:00Z', 'v4r'),
  // Windows of one hour: 50/50 then 80/20 (a shift), then 49/51 and 51/49 (none).
  ...many('drift', 'route.pick.v1', 'east', 100, '2026-06-01T00:00:00Z', 'w1e'),
  ...many('drift', 'route.pick.v1', 'west', 100, '2026-06-01T00:10:00Z', 'w1w'),
  ...many('drift', 'route.pick.v1', 'east', 160, '2026-06-01T01:00:00Z', 'w2e'),
  ...many('drift', 'route.pick.v1', 'west', 40, '2026-06-01T01:10:00Z', 'w2w'),
  ...many('drift', 'route.pick.v1', 'east', 98, '2026-06-01T02:00:00Z', 'w3e'),
  ...many('drift', 'route.pick.v1', 'west', 102, '2026-06-01T02:10:00Z', 'w3w'),
  ...many('drift', 'route.pick.v1', 'east', 102, '2026-06-01T03:00:00Z', 'w4e'),
  ...many('drift', 'route.pick.v1', 'west', 98, '2026-06-01T03:10:00Z', 'w4w'),
];

describe('decision API analytics: filters, stats, drift, ledger verification', () => {
  let collector: RunningCollector;

  async function get(path: string): Promise<{ status: number; body: Body }> {
    const res = await fetch(`${collector.apiUrl}${path}`);
    return { status: res.status, body: (await res.json()) as Body };
  }

  before(async () => {
    collector = await startCollector();
    const body = [...FILTER_SET, ...STATS_SET, ...DRIFT_SET].flatMap(events);
    const res = await fetch(`${collector.apiUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  });
  after(async () => {
    await collector.stop();
  });

  test('every filter of GET /v1/decisions', async () => {
    const ids = async (qs: string) => {
      const res = await get(`/v1/decisions?tenant=filters&${qs}`);
      assert.equal(res.status, 200, `${qs}: ${JSON.stringify(res.body)}`);
      return res.body.decisions.map((d: Body) => d.id).sort();
    };
    const cases: Array<[string, string[]]> = [
      ['', ['f-1', 'f-2', 'f-3']],
      ['actor_id=alice', ['f-2']],
      ['actor_type=agent', ['f-1', 'f-3']],
      ['service=svc-a', ['f-1', 'f-3']],
      ['status=pending', ['f-3']],
      ['status=decided', ['f-1', 'f-2']],
      ['min_confidence=0.5', ['f-1']],
      ['max_confidence=0.5', ['f-2']],
      ['min_confidence=0.4&max_confidence=0.9', ['f-1', 'f-2']],
      ['has_violations=true', ['f-2']],
      ['has_violations=false', ['f-1', 'f-3']],
      ['evidence=region%3Deu', ['f-1']],
      ['evidence=score%3D80', ['f-2']],
      ['evidence=vip%3Dtrue', ['f-1']],
      ['evidence=region%3Deu&evidence=score%3D80', []],
      ['evidence=region%3Dus&evidence=score%3D80', ['f-2']],
      ['actor_type=agent&service=svc-a&status=decided', ['f-1']],
    ];
    for (const [qs, expected] of cases) assert.deepEqual(await ids(qs), expected, qs);

    for (const qs of [
      'min_confidence=abc',
      'min_confidence=2',
      'max_confidence=-0.1',
      'min_confidence=0.8&max_confidence=0.2',
      'has_violations=yes',
      'evidence=novalue',
      'evidence=%3Dx',
      'actor=alice',
    ]) {
      const res = await get(`/v1/decisions?${qs}`);
      assert.equal(res.status, 400, qs);
      assert.ok(String(res.body.error).length > 0, qs);
    }
  });

  test('GET /v1/stats on a known data set: counts, rates weighted by adjusted_count, histogram, durations', async () => {
    const res = await get('/v1/stats?tenant=stats&since=2026-04-01T10:00:00Z&until=2026-04-01T12:00:00Z&bucket=1h');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const stats = res.body;
    assert.equal(stats.bucket_ms, 3_600_000);
    assert.equal(stats.since, '2026-04-01T10:00:00.000Z');
    assert.deepEqual(stats.total, { count: 5, weighted_count: 8 });

    const point = (bucket: string, version: string, outcome: string) =>
      stats.series.find((p: Body) => p.bucket_start === bucket && p.version === version && p.outcome === outcome);
    const ten = '2026-04-01T10:00:00.000Z';
    const eleven = '2026-04-01T11:00:00.000Z';
    assert.deepEqual((({ count, weighted_count, rate }) => ({ count, weighted_count, rate }))(point(ten, 'v1', 'approved')), {
      count: 2,
      weighted_count: 4,
      rate: 0.8,
    });
    assert.equal(point(ten, 'v1', 'denied').rate, 0.2);
    assert.equal(point(eleven, 'v1', 'denied').rate, 1);
    assert.equal(point(eleven, 'v2', 'approved').weighted_count, 1);
    assert.equal(stats.series.length, 4);

    const overall = (version: string, outcome: string) => stats.by_outcome.find((o: Body) => o.version === version && o.outcome === outcome);
    assert.equal(overall('v1', 'approved').weighted_count, 4);
    assert.ok(Math.abs(overall('v1', 'approved').rate - 4 / 7) < 1e-9);
    assert.ok(Math.abs(overall('v1', 'denied').rate - 3 / 7) < 1e-9);
    assert.equal(overall('v2', 'approved').rate, 1);

    const bins = stats.confidence_histogram.map((b: Body) => b.count);
    assert.equal(bins.length, 10);
    assert.deepEqual(bins, [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    assert.equal(stats.duration_ms.count, 5);
    // Within the stated relative accuracy of the duration summary (DURATION_RELATIVE_ACCURACY, 0.78 %).
    assert.ok(Math.abs(stats.duration_ms.p50 - 300) <= 300 * DURATION_RELATIVE_ACCURACY, `p50 ${stats.duration_ms.p50}`);
    assert.ok(Math.abs(stats.duration_ms.max - 500) <= 500 * DURATION_RELATIVE_ACCURACY, `max ${stats.duration_ms.max}`);
    assert.ok(stats.duration_ms.p90 >= 400 && stats.duration_ms.p90 <= 500 * (1 + DURATION_RELATIVE_ACCURACY));

    const v2 = await get('/v1/stats?tenant=stats&type=claim.pay.v2&since=2026-04-01T10:00:00Z&until=2026-04-01T12:00:00Z&bucket=30m');
    assert.deepEqual(v2.body.total, { count: 1, weighted_count: 1 });
    assert.equal(v2.body.bucket_ms, 1_800_000);

    for (const qs of ['bucket=0', 'bucket=often', 'bucket=1s&since=2026-04-01T00:00:00Z&until=2026-04-02T00:00:00Z', 'limit=5', 'min_confidence=x']) {
      const bad = await get(`/v1/stats?tenant=stats&${qs}`);
      assert.equal(bad.status, 400, qs);
    }
  });

  test('GET /v1/drift between two versions: a synthetic shift (p < 0.01) and no shift (p > 0.05)', async () => {
    const shift = await get('/v1/drift?tenant=drift&type=offer.accept&a.version=v1&b.version=v2');
    assert.equal(shift.status, 200, JSON.stringify(shift.body));
    assert.equal(shift.body.type, 'offer.accept');
    assert.equal(shift.body.test, 'chi_square');
    assert.equal(shift.body.a.total, 400);
    assert.equal(shift.body.b.total, 400);
    assert.deepEqual(
      shift.body.a.outcomes.map((o: Body) => [o.outcome, o.count, o.share]),
      [
        ['accepted', 300, 0.75],
        ['rejected', 100, 0.25],
      ],
    );
    assert.equal(shift.body.degrees_of_freedom, 1);
    assert.ok(shift.body.p_value < 0.01, String(shift.body.p_value));
    assert.equal(shift.body.significant, true);
    assert.ok(shift.body.cramers_v > 0.2);

    const none = await get('/v1/drift?tenant=drift&type=offer.accept&a.version=v3&b.version=v4');
    assert.ok(none.body.p_value > 0.05, String(none.body.p_value));
    assert.equal(none.body.significant, false);
    const strict = await get('/v1/drift?tenant=drift&type=offer.accept&a.version=v3&b.version=v4&alpha=0.9');
    assert.equal(strict.body.alpha, 0.9);
    assert.equal(strict.body.significant, true, 'alpha is the significance level');
  });

  test('GET /v1/drift between two time windows: a shift and no shift', async () => {
    const window = (side: string, from: string, to: string) => `${side}.since=${from}&${side}.until=${to}`;
    const shift = await get(
      `/v1/drift?tenant=drift&type=route.pick&${window('a', '2026-06-01T00:00:00Z', '2026-06-01T01:00:00Z')}&${window('b', '2026-06-01T01:00:00Z', '2026-06-01T02:00:00Z')}`,
    );
    assert.equal(shift.status, 200, JSON.stringify(shift.body));
    assert.equal(shift.body.a.total, 200);
    assert.equal(shift.body.b.total, 200);
    assert.equal(shift.body.a.filter.since, '2026-06-01T00:00:00.000Z');
    assert.ok(shift.body.p_value < 0.01, String(shift.body.p_value));
    assert.equal(shift.body.significant, true);

    const none = await get(
      `/v1/drift?tenant=drift&type=route.pick&${window('a', '2026-06-01T02:00:00Z', '2026-06-01T03:00:00Z')}&${window('b', '2026-06-01T03:00:00Z', '2026-06-01T04:00:00Z')}`,
    );
    assert.equal(none.body.a.total, 200);
    assert.ok(none.body.p_value > 0.05, String(none.body.p_value));
    assert.equal(none.body.significant, false);
  });

  test('GET /v1/drift: type required, unknown side keys refused, an empty side has no p-value but a reason', async () => {
    assert.equal((await get('/v1/drift?a.version=v1&b.version=v2')).status, 400);
    assert.equal((await get('/v1/drift?type=offer.accept&c.version=v1')).status, 400);
    assert.equal((await get('/v1/drift?type=offer.accept&a.tenant=x')).status, 400);
    assert.equal((await get('/v1/drift?type=offer.accept&alpha=2')).status, 400);
    const empty = await get('/v1/drift?tenant=drift&type=offer.accept&a.version=v1&b.version=v9');
    assert.equal(empty.status, 200);
    assert.equal(empty.body.p_value, null);
    assert.equal(empty.body.significant, false);
    assert.match(String(empty.body.reason), /side b/);
  });

  test('GET /v1/ledger/verify: ok, then names the tampered row; per tenant', async () => {
    const ok = await get('/v1/ledger/verify');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.ok, true);
    assert.equal(ok.body.checked, [...FILTER_SET, ...STATS_SET, ...DRIFT_SET].flatMap(events).length);

    const db = new Database(collector.dbPath);
    const row = db.prepare("SELECT rowid AS row, event FROM ledger WHERE event_id = 's-3-outcome'").get() as { row: number; event: string };
    db.prepare('UPDATE ledger SET event = ? WHERE rowid = ?').run(row.event.replace('"denied"', '"approved"'), row.row);
    db.close();

    const broken = await get('/v1/ledger/verify');
    assert.equal(broken.status, 200, 'the answer is the verification, not an error');
    assert.equal(broken.body.ok, false);
    assert.equal(broken.body.first_broken.event_id, 's-3-outcome');
    assert.equal(broken.body.first_broken.tenant_id, 'stats');
    const other = await get('/v1/ledger/verify?tenant=filters');
    assert.equal(other.body.ok, true, "another tenant's chain is intact");
    assert.equal(other.body.checked, FILTER_SET.flatMap(events).length);
    assert.equal((await get('/v1/ledger/verify?tenant=stats')).body.ok, false);
    assert.equal((await get('/v1/ledger/verify?bogus=1')).status, 400);
  });
});
