import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';

const base = {
  tenant_id: 'acme',
  environment: 'prod',
  schema_version: '1.0',
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  decision_id: 'loan-42',
  decision_type: 'loan.approve.v3',
  actor: { id: 'underwriter-bot', type: 'agent', version: '2.0', org: 'lending' },
};

function event(event_id: string, event_type: string, timestamp: string, payload: Record<string, unknown>) {
  return { ...base, event_id, event_type, timestamp, payload };
}

async function post(api: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${api}/v1/events`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('decision API: canonical events and queries', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  test('canonical events of one decision merge into one record, also across requests', async () => {
    const first = [
      event('e1', 'decision.start', '2026-11-20T10:00:00.000Z', {}),
      event('e2', 'decision.evidence', '2026-11-20T10:00:01.000Z', { key: 'credit_score', value: 712 }),
      event('e3', 'decision.evidence', '2026-11-20T10:00:02.000Z', { key: 'income', value: 85000 }),
      event('e4', 'decision.policy_check', '2026-11-20T10:00:03.000Z', { policy: 'dti_limit', result: 'pass', inputs: { dti: 0.31 } }),
      event('e5', 'decision.outcome', '2026-11-20T10:00:04.000Z', { status: 'approved', confidence: 0.87 }),
    ];
    const r1 = await post(collector.apiUrl, JSON.stringify(first));
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    assert.deepEqual(r1.body, { accepted: 5, duplicates: 0 });

    const r2 = await post(
      collector.apiUrl,
      JSON.stringify([event('e6', 'decision.evaluation', '2026-11-21T09:00:00.000Z', { label: 'repaid_on_time', score: 1 })]),
    );
    assert.equal(r2.status, 200);

    const res = await fetch(`${collector.apiUrl}/v1/decisions/loan-42`);
    assert.equal(res.status, 200);
    const record = (await res.json()) as Record<string, any>;
    assert.equal(record.id, 'loan-42');
    assert.equal(record.type, 'loan.approve');
    assert.equal(record.version, 'v3');
    assert.equal(record.tenant, 'acme');
    assert.equal(record.environment, 'prod');
    assert.deepEqual(record.actor, base.actor);
    assert.deepEqual(record.evidence, { credit_score: 712, income: 85000 });
    assert.deepEqual(record.policy_checks, [{ policy: 'dti_limit', result: 'pass', inputs: { dti: 0.31 } }]);
    assert.equal(record.outcome, 'approved');
    assert.equal(record.confidence, 0.87);
    assert.equal(record.status, 'decided');
    assert.equal(record.evaluations.length, 1);
    assert.equal(record.evaluations[0].label, 'repaid_on_time');
    assert.equal(record.start_time, '2026-11-20T10:00:00.000Z');
    assert.equal(record.event_count, 6);
    assert.deepEqual(record.events.map((e: { event: { event_id: string } }) => e.event.event_id).sort(), ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);

    const again = await post(collector.apiUrl, JSON.stringify(first));
    assert.deepEqual(again.body, { accepted: 0, duplicates: 5 }, 'redelivery is idempotent');
  });

  test('malformed events get a 400 naming the index and field of each; valid ones are kept', async () => {
    const body = [
      event('m1', 'decision.evidence', '2026-11-20T11:00:00.000Z', { key: 'k', value: 1 }),
      { ...event('m2', 'decision.evidence', '2026-11-20T11:00:00.000Z', { value: 1 }), decision_id: 'loan-43' },
      { ...event('m3', 'teleport', 'yesterday', {}), decision_id: '' },
    ];
    const res = await post(collector.apiUrl, JSON.stringify(body));
    assert.equal(res.status, 400);
    const errors = res.body.errors as Array<{ index: number; field: string; message: string }>;
    const at = (index: number) =>
      errors
        .filter((e) => e.index === index)
        .map((e) => e.field)
        .sort();
    assert.deepEqual(at(0), []);
    assert.deepEqual(at(1), ['payload.key']);
    assert.deepEqual(at(2), ['decision_id', 'event_type', 'timestamp']);
    assert.equal(res.body.accepted, 1);
    assert.match(String(res.body.error), /2 of 3 events are invalid/);
  });

  test('invalid JSON, wrong content type, wrong method, unknown route', async () => {
    const bad = await post(collector.apiUrl, '[{"decision_id": ');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /^invalid JSON/);
    assert.equal((await post(collector.apiUrl, 'x', 'text/plain')).status, 415);
    const notArray = await post(collector.apiUrl, '{"decision_id":"x"}');
    assert.equal(notArray.status, 400);
    assert.equal((await fetch(`${collector.apiUrl}/v1/events`)).status, 405);
    assert.equal((await fetch(`${collector.apiUrl}/v1/nothing`)).status, 404);
    assert.equal((await fetch(`${collector.apiUrl}/v1/decisions/no-such-id`)).status, 404);
    // The process keeps serving after all of that.
    assert.equal((await fetch(`${collector.apiUrl}/v1/decisions`)).status, 200);
  });

  test('list filters, relative times and cursor pagination', async () => {
    const events = [];
    for (let i = 0; i < 7; i++) {
      events.push({
        ...base,
        tenant_id: 'paging',
        decision_id: `p-${i}`,
        decision_type: i % 2 === 0 ? 'route.pick.v1' : 'route.pick.v2',
        event_id: `p-${i}-outcome`,
        event_type: 'decision.outcome',
        timestamp: new Date(Date.now() - i * 60_000).toISOString(),
        payload: { status: i % 3 === 0 ? 'east' : 'west' },
      });
    }
    assert.equal((await post(collector.apiUrl, JSON.stringify(events))).status, 200);
    const list = async (qs: string) => {
      const res = await fetch(`${collector.apiUrl}/v1/decisions?${qs}`);
      assert.equal(res.status, 200, qs);
      return (await res.json()) as { decisions: Array<{ id: string }>; next_cursor: string | null };
    };
    assert.deepEqual(
      (await list('tenant=paging&type=route.pick.v2')).decisions.map((d) => d.id),
      ['p-1', 'p-3', 'p-5'],
    );
    assert.equal((await list('tenant=paging&type=route.pick')).decisions.length, 7);
    assert.deepEqual(
      (await list('tenant=paging&type=route.pick&version=v1&outcome=east')).decisions.map((d) => d.id),
      ['p-0', 'p-6'],
    );
    assert.deepEqual(
      (await list('tenant=paging&since=150s')).decisions.map((d) => d.id),
      ['p-0', 'p-1', 'p-2'],
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`tenant=paging&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.decisions.map((d) => d.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, ['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6'], 'newest first, no gaps or repeats');

    for (const qs of ['limit=0', 'limit=abc', 'since=yesterday', 'bogus=1', 'cursor=%%%']) {
      const res = await fetch(`${collector.apiUrl}/v1/decisions?${qs}`);
      assert.equal(res.status, 400, qs);
      assert.ok(((await res.json()) as { error: string }).error.length > 0);
    }
  });
});
