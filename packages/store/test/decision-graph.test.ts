import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRecord, type DecisionRecord } from '@decision-trace/model';
import { walkDecisionGraph } from '../src/index.js';

/** A neighbor lookup over records held in memory, as a backend would answer it. */
function memoryGraph(records: DecisionRecord[]) {
  const byId = new Map(records.map((r) => [r.id, r]));
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async neighborDecisions(_tenant: string, ids: readonly string[], opts: { limit?: number } = {}) {
      calls += 1;
      const wanted = new Set<string>();
      for (const record of records) {
        for (const id of ids) {
          const self = byId.get(id);
          if (record.parent_decision_id === id || record.causal_links.some((l) => l.target_decision_id === id)) wanted.add(record.id);
          if (self?.parent_decision_id === record.id || self?.causal_links.some((l) => l.target_decision_id === record.id)) wanted.add(record.id);
        }
      }
      return [...wanted].slice(0, opts.limit ?? 1000).map((id) => byId.get(id)!);
    },
  };
}

function rec(id: string, parent: string | null = null, targets: string[] = []): DecisionRecord {
  return {
    ...emptyRecord(id, 'acme'),
    parent_decision_id: parent,
    causal_links: targets.map((target_decision_id) => ({ type: 'depends_on' as const, target_decision_id })),
  };
}

test('a wide fan-out is cut at maxNodes and says so', async () => {
  const root = rec('root');
  const children = Array.from({ length: 10 }, (_, i) => rec(`c${i}`, 'root'));
  const graph = await walkDecisionGraph(memoryGraph([root, ...children]), root, 3, 4);
  assert.equal(graph.nodes.length, 4);
  assert.equal(graph.truncated, true);
  assert.ok(
    graph.edges.every((e) => graph.nodes.some((n) => n.id === e.to)),
    'edges only between nodes shown',
  );
});

test('a cycle is walked once per decision and the walk stops when nothing new is found', async () => {
  const a = rec('a', null, ['b']);
  const b = rec('b', null, ['c']);
  const c = rec('c', null, ['a']);
  const store = memoryGraph([a, b, c]);
  const graph = await walkDecisionGraph(store, a, 10);
  assert.deepEqual(graph.nodes.map((n) => [n.id, n.depth]).sort(), [
    ['a', 0],
    ['b', 1],
    ['c', 1],
  ]);
  assert.equal(graph.edges.length, 3);
  assert.equal(graph.truncated, false);
  assert.ok(store.calls <= 2, `stopped after ${store.calls} lookups instead of 10`);
});

test('maxNodes must leave room for the lookup limit', async () => {
  await assert.rejects(walkDecisionGraph(memoryGraph([rec('a')]), rec('a'), 1, 1000), RangeError);
});
