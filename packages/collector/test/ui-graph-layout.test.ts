import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: the UI is plain JavaScript served to browsers, without type declarations.
import { layoutGraph, flowOf, withoutBackEdges, longestPathLayers } from '../ui/lib/graph-layout.js';

type Box = { id: string; layer: number; order: number; x: number; y: number; width: number; height: number };
type Laid = {
  nodes: Box[];
  edges: Array<{ from: string; to: string; path: string; labelX: number; labelY: number; points: number[][] }>;
  width: number;
  height: number;
};

const parent = (from: string, to: string) => ({ from, to, kind: 'parent', type: 'parent_of' });
const causal = (from: string, to: string, type = 'depends_on') => ({ from, to, kind: 'causal', type });
const nodes = (...ids: string[]) => ids.map((id) => ({ id }));
const at = (layout: Laid) => new Map(layout.nodes.map((n) => [n.id, n]));

function assertNoOverlap(layout: Laid) {
  for (const a of layout.nodes) {
    for (const b of layout.nodes) {
      if (a === b) continue;
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${a.id} overlaps ${b.id}`);
    }
    assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= layout.width && a.y + a.height <= layout.height, `${a.id} inside the drawing`);
  }
}

test('parents sit above children, causes above the decisions that hold the causal link', () => {
  //   app ─parent→ loan ─parent→ fraud;  payout depends_on loan;  notify child of payout
  const layout: Laid = layoutGraph(nodes('loan', 'app', 'fraud', 'payout', 'notify'), [
    parent('app', 'loan'),
    parent('loan', 'fraud'),
    causal('payout', 'loan'),
    parent('payout', 'notify'),
  ]);
  const n = at(layout);
  assert.deepEqual(Object.fromEntries([...n].map(([id, b]) => [id, b.layer])), { app: 0, loan: 1, fraud: 2, payout: 2, notify: 3 });
  assert.ok(n.get('app')!.y < n.get('loan')!.y && n.get('loan')!.y < n.get('payout')!.y);
  assert.equal(n.get('fraud')!.y, n.get('payout')!.y, 'one row per layer');
  assertNoOverlap(layout);
  assert.equal(layout.edges.length, 4);
});

test('a longest path decides the layer: a node below two parents of different depth sits below both', () => {
  const layout: Laid = layoutGraph(nodes('a', 'b', 'c', 'd'), [parent('a', 'b'), parent('b', 'c'), causal('d', 'a'), causal('d', 'c', 'uses_evidence_from')]);
  const n = at(layout);
  assert.equal(n.get('d')!.layer, 3);
});

test('edges run from the bottom of the upper node to the top of the lower one, whichever way they point', () => {
  const layout: Laid = layoutGraph(nodes('p', 'c', 'h'), [parent('p', 'c'), causal('h', 'c')]);
  const n = at(layout);
  const down = layout.edges.find((e) => e.from === 'p')!;
  assert.deepEqual(down.points[0], [n.get('p')!.x + n.get('p')!.width / 2, n.get('p')!.y + n.get('p')!.height]);
  assert.deepEqual(down.points[1], [n.get('c')!.x + n.get('c')!.width / 2, n.get('c')!.y]);
  // h depends_on c: c is the cause, drawn above h; the edge still starts at h (its holder).
  const up = layout.edges.find((e) => e.from === 'h')!;
  assert.ok(n.get('c')!.y < n.get('h')!.y);
  assert.deepEqual(up.points[0], [n.get('h')!.x + n.get('h')!.width / 2, n.get('h')!.y]);
  assert.deepEqual(up.points[1], [n.get('c')!.x + n.get('c')!.width / 2, n.get('c')!.y + n.get('c')!.height]);
  assert.match(up.path, /^M[\d.]+,[\d.]+ C/);
  assert.ok(up.labelY > n.get('c')!.y + n.get('c')!.height && up.labelY < n.get('h')!.y, 'label between the two nodes');
});

test('causal cycles and self-loops are laid out (every edge still drawn) without looping', () => {
  const edges = [causal('a', 'b'), causal('b', 'c'), causal('c', 'a', 'triggered_by'), causal('a', 'a', 'compensates')];
  const layout: Laid = layoutGraph(nodes('a', 'b', 'c'), edges);
  assert.equal(layout.edges.length, 4);
  assertNoOverlap(layout);
  assert.equal(new Set(layout.nodes.map((n) => n.layer)).size, 3, 'the broken cycle still spreads over three layers');
  const flows = edges.filter((e) => e.from !== e.to).map(flowOf);
  const kept = withoutBackEdges(['a', 'b', 'c'], flows);
  assert.equal(kept.length, flows.length - 1, 'exactly one edge breaks the 3-cycle');
});

test('edges to nodes not in the graph are ignored; isolated nodes and an empty graph are fine', () => {
  const layout: Laid = layoutGraph(nodes('x', 'y'), [parent('x', 'ghost')]);
  assert.equal(layout.edges.length, 0);
  assert.equal(layout.nodes.length, 2);
  assertNoOverlap(layout);
  const empty: Laid = layoutGraph([], []);
  assert.deepEqual(empty.nodes, []);
  assert.ok(empty.width > 0 && empty.height > 0);
});

test('barycenter ordering uncrosses children of two parents', () => {
  // Input order puts b's children first, a's last: a naive layout would cross every edge.
  const layout: Laid = layoutGraph(nodes('a', 'b', 'b1', 'b2', 'a1', 'a2'), [parent('a', 'a1'), parent('a', 'a2'), parent('b', 'b1'), parent('b', 'b2')]);
  const n = at(layout);
  const left = (id: string) => n.get(id)!.x;
  const aLeft = left('a') < left('b');
  for (const child of ['a1', 'a2']) for (const other of ['b1', 'b2']) assert.equal(left(child) < left(other), aLeft, `${child} vs ${other}`);
});

test('deterministic, and a wide layer widens the drawing', () => {
  const many = ['root', ...Array.from({ length: 6 }, (_, i) => `c${i}`)];
  const edges = many.slice(1).map((c) => parent('root', c));
  const one: Laid = layoutGraph(nodes(...many), edges);
  const two: Laid = layoutGraph(nodes(...many), edges);
  assert.deepEqual(one, two);
  assert.ok(one.width >= 6 * 210);
  assertNoOverlap(one);
  assert.equal(longestPathLayers(['p', 'q'], [['p', 'q']]).get('q'), 1);
});
