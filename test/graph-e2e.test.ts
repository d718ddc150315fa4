import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';

/** GET /v1/decisions/{id}/graph: parent, child and causal edges in both directions, cycle-safe. */
interface GraphBody {
  root: string;
  tenant: string;
  depth: number;
  nodes: Array<{ id: string; depth: number; missing: boolean; type: string | null; outcome: string | null }>;
  edges: Array<{ from: string; to: string; kind: string; type: string }>;
  truncated: boolean;
}

let eventCounter = 0;
function decision(id: string, fields: Record<string, unknown> = {}, tenant = 'acme') {
  eventCounter += 1;
  return {
    schema_version: '1.0',
    event_id: `graph-${eventCounter}`,
    event_type: 'decision.outcome',
    decision_id: id,
    decision_type: 'claims.step.v1',
    tenant_id: tenant,
    timestamp: `2026-02-01T10:00:${String(eventCounter % 60).padStart(2, '0')}.000Z`,
    payload: { status: `done-${id}` },
    ...fields,
  };
}

async function graph(api: string, id: string, query = ''): Promise<{ status: number; body: GraphBody }> {
  // A cycle that made the walk loop would time out here instead of hanging the test run.
  const res = await fetch(`${api}/v1/decisions/${id}/graph${query}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as GraphBody };
}

const depths = (body: GraphBody) => Object.fromEntries(body.nodes.map((n) => [n.id, n.depth]));
const edgeList = (body: GraphBody) => body.edges.map((e) => `${e.from} ${e.type} ${e.to}`).sort();

describe('GET /v1/decisions/{id}/graph', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
    //   g-root ─ g-child ─ g-grand ─ g-great          (parent_of)
    //   g-dep  depends_on         g-root
    //   g-root triggered_by       g-trigger
    //   g-root uses_evidence_from g-ghost (never stored)
    //   g-a depends_on g-b depends_on g-c triggered_by g-a; g-a compensates g-a   (a cycle and a loop)
    const events = [
      decision('g-root', {
        causal_links: [
          { type: 'triggered_by', target_decision_id: 'g-trigger' },
          { type: 'uses_evidence_from', target_decision_id: 'g-ghost' },
        ],
      }),
      decision('g-child', { parent_decision_id: 'g-root' }),
      decision('g-grand', { parent_decision_id: 'g-child' }),
      decision('g-great', { parent_decision_id: 'g-grand' }),
      decision('g-dep', { causal_links: [{ type: 'depends_on', target_decision_id: 'g-root' }] }),
      decision('g-trigger'),
      decision('g-a', {
        causal_links: [
          { type: 'depends_on', target_decision_id: 'g-b' },
          { type: 'compensates', target_decision_id: 'g-a' },
        ],
      }),
      decision('g-b', { causal_links: [{ type: 'depends_on', target_decision_id: 'g-c' }] }),
      decision('g-c', { causal_links: [{ type: 'triggered_by', target_decision_id: 'g-a' }] }),
      decision('g-shared', {}, 'acme'),
      decision('g-shared', {}, 'globex'),
    ];
    const res = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    assert.equal(res.status, 200, await res.text());
  });
  after(async () => {
    await collector.stop();
  });

  test('depth 1: parent/child and causal edges both ways; an unknown target is a missing node', async () => {
    const { status, body } = await graph(collector.apiUrl, 'g-root', '?depth=1');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.root, 'g-root');
    assert.equal(body.tenant, 'acme');
    assert.equal(body.depth, 1);
    assert.equal(body.truncated, false);
    assert.deepEqual(depths(body), { 'g-root': 0, 'g-child': 1, 'g-dep': 1, 'g-trigger': 1, 'g-ghost': 1 });
    assert.deepEqual(edgeList(body), [
      'g-dep depends_on g-root',
      'g-root parent_of g-child',
      'g-root triggered_by g-trigger',
      'g-root uses_evidence_from g-ghost',
    ]);
    const ghost = body.nodes.find((n) => n.id === 'g-ghost')!;
    assert.equal(ghost.missing, true);
    const child = body.nodes.find((n) => n.id === 'g-child')!;
    assert.equal(child.missing, false);
    assert.equal(child.type, 'claims.step');
    assert.equal(child.outcome, 'done-g-child');
    assert.deepEqual(
      body.edges.find((e) => e.to === 'g-child'),
      { from: 'g-root', to: 'g-child', kind: 'parent', type: 'parent_of' },
    );
  });

  test('depth default 3, and depth limits the hops in both directions', async () => {
    const byDefault = await graph(collector.apiUrl, 'g-root');
    assert.equal(byDefault.body.depth, 3);
    assert.equal(depths(byDefault.body)['g-great'], 3);
    const two = await graph(collector.apiUrl, 'g-root', '?depth=2');
    assert.equal(depths(two.body)['g-grand'], 2);
    assert.equal('g-great' in depths(two.body), false);
    const zero = await graph(collector.apiUrl, 'g-root', '?depth=0');
    assert.deepEqual(depths(zero.body), { 'g-root': 0 });
    assert.deepEqual(zero.body.edges, []);
    const upwards = await graph(collector.apiUrl, 'g-great', '?depth=3');
    assert.deepEqual(depths(upwards.body), { 'g-great': 0, 'g-grand': 1, 'g-child': 2, 'g-root': 3 });
  });

  test('a causal-link cycle (and a self-link) does not hang: every decision once, depth 10', async () => {
    const { status, body } = await graph(collector.apiUrl, 'g-b', '?depth=10');
    assert.equal(status, 200);
    assert.deepEqual(depths(body), { 'g-b': 0, 'g-a': 1, 'g-c': 1 });
    assert.deepEqual(edgeList(body), ['g-a compensates g-a', 'g-a depends_on g-b', 'g-b depends_on g-c', 'g-c triggered_by g-a']);
  });

  test('bad depth is a 400, an unknown decision a 404, an id in two tenants a 409 without ?tenant=', async () => {
    for (const depth of ['11', '-1', 'abc', '2.5', '']) {
      assert.equal((await graph(collector.apiUrl, 'g-root', `?depth=${depth}`)).status, 400, `depth=${depth}`);
    }
    assert.equal((await graph(collector.apiUrl, 'g-root', '?deep=1')).status, 400, 'unknown parameter');
    assert.equal((await graph(collector.apiUrl, 'g-nope')).status, 404);
    assert.equal((await graph(collector.apiUrl, 'g-shared')).status, 409);
    const scoped = await graph(collector.apiUrl, 'g-shared', '?tenant=globex');
    assert.equal(scoped.status, 200);
    assert.equal(scoped.body.tenant, 'globex');
  });
});
