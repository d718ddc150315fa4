// Layered layout of a decision graph (pure, no DOM): causes and parents above, their
// consequences and children below, as in a Sugiyama-style drawing.

export const DEFAULT_LAYOUT = { nodeWidth: 210, nodeHeight: 66, columnGap: 36, rowGap: 86, margin: 28, sweeps: 6 };

/**
 * An edge "flows" from the node drawn above to the node drawn below: a parent above its child,
 * a causal link's target (the cause, the evidence) above the decision that holds the link.
 */
export function flowOf(edge) {
  return edge.kind === 'causal' ? [edge.to, edge.from] : [edge.from, edge.to];
}

/**
 * nodes: [{id, ...}]; edges: [{from, to, kind, type}] as GET /v1/decisions/{id}/graph returns.
 * Returns { nodes: [{...node, layer, order, x, y, width, height}], edges: [{...edge, path,
 * labelX, labelY, points}], width, height }. Cycles (causal loops) are broken for layering only:
 * every edge is still drawn. Deterministic: the same input gives the same drawing.
 */
export function layoutGraph(nodes, edges, options = {}) {
  const o = { ...DEFAULT_LAYOUT, ...options };
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const flows = [];
  for (const edge of edges) {
    const [a, b] = flowOf(edge);
    if (known.has(a) && known.has(b) && a !== b) flows.push([a, b]);
  }
  const acyclic = withoutBackEdges(ids, flows);
  const layerOf = longestPathLayers(ids, acyclic);
  const layers = orderLayers(ids, layerOf, acyclic, o.sweeps);

  const widest = Math.max(1, ...layers.map((l) => l.length));
  const width = 2 * o.margin + widest * o.nodeWidth + (widest - 1) * o.columnGap;
  const height = 2 * o.margin + layers.length * o.nodeHeight + Math.max(0, layers.length - 1) * o.rowGap;
  const placed = new Map();
  layers.forEach((layer, li) => {
    const rowWidth = layer.length * o.nodeWidth + (layer.length - 1) * o.columnGap;
    const left = (width - rowWidth) / 2;
    layer.forEach((id, order) => {
      placed.set(id, { layer: li, order, x: left + order * (o.nodeWidth + o.columnGap), y: o.margin + li * (o.nodeHeight + o.rowGap) });
    });
  });

  const outNodes = nodes.map((n) => ({ ...n, ...placed.get(n.id), width: o.nodeWidth, height: o.nodeHeight }));
  const byId = new Map(outNodes.map((n) => [n.id, n]));
  const pairCount = new Map();
  const outEdges = [];
  for (const edge of edges) {
    const a = byId.get(edge.from);
    const b = byId.get(edge.to);
    if (a === undefined || b === undefined) continue;
    // Several edges between one pair (a parent that is also a causal target) fan out.
    const pair = [edge.from, edge.to].sort().join('\u0000');
    const nth = pairCount.get(pair) ?? 0;
    pairCount.set(pair, nth + 1);
    outEdges.push({ ...edge, ...route(a, b, nth) });
  }
  return { nodes: outNodes, edges: outEdges, width, height };
}

/** Drops the edges that close a cycle, found by depth-first search in input order. */
export function withoutBackEdges(ids, flows) {
  const out = new Map(ids.map((id) => [id, []]));
  flows.forEach(([a, b], i) => out.get(a).push({ to: b, i }));
  const state = new Map(); // 1 on the stack, 2 done
  const back = new Set();
  for (const start of ids) {
    if (state.has(start)) continue;
    const stack = [{ id: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const edge = out.get(top.id)[top.next++];
      if (edge === undefined) {
        state.set(top.id, 2);
        stack.pop();
      } else if (state.get(edge.to) === 1) {
        back.add(edge.i);
      } else if (!state.has(edge.to)) {
        state.set(edge.to, 1);
        stack.push({ id: edge.to, next: 0 });
      }
    }
  }
  return flows.filter((_, i) => !back.has(i));
}

/** Layer = length of the longest path reaching the node (sources on layer 0); input must be acyclic. */
export function longestPathLayers(ids, flows) {
  const indegree = new Map(ids.map((id) => [id, 0]));
  const out = new Map(ids.map((id) => [id, []]));
  for (const [a, b] of flows) {
    out.get(a).push(b);
    indegree.set(b, indegree.get(b) + 1);
  }
  const layer = new Map(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    for (const next of out.get(id)) {
      layer.set(next, Math.max(layer.get(next), layer.get(id) + 1));
      indegree.set(next, indegree.get(next) - 1);
      if (indegree.get(next) === 0) queue.push(next);
    }
  }
  return layer;
}

/** Nodes per layer, ordered by the barycenter heuristic (down and up sweeps) to cut crossings. */
function orderLayers(ids, layerOf, flows, sweeps) {
  const count = ids.length === 0 ? 0 : Math.max(...ids.map((id) => layerOf.get(id))) + 1;
  const layers = Array.from({ length: count }, () => []);
  for (const id of ids) layers[layerOf.get(id)].push(id);
  const up = new Map(ids.map((id) => [id, []]));
  const down = new Map(ids.map((id) => [id, []]));
  for (const [a, b] of flows) {
    down.get(a).push(b);
    up.get(b).push(a);
  }
  const position = new Map();
  const remember = (layer) => layer.forEach((id, i) => position.set(id, i));
  layers.forEach(remember);
  const reorder = (layer, neighbours) => {
    const keyed = layer.map((id, i) => {
      const ns = neighbours.get(id);
      const bary = ns.length === 0 ? i : ns.reduce((sum, n) => sum + position.get(n), 0) / ns.length;
      return { id, bary, i };
    });
    keyed.sort((p, q) => p.bary - q.bary || p.i - q.i);
    const next = keyed.map((k) => k.id);
    remember(next);
    return next;
  };
  for (let s = 0; s < sweeps; s++) {
    if (s % 2 === 0) for (let l = 1; l < count; l++) layers[l] = reorder(layers[l], up);
    else for (let l = count - 2; l >= 0; l--) layers[l] = reorder(layers[l], down);
  }
  return layers;
}

/** A cubic curve between the facing sides of two placed nodes, and where its label sits. */
function route(a, b, nth) {
  const fan = nth * 18;
  let x1, y1, x2, y2, path;
  if (a.y === b.y) {
    // Same layer (a broken cycle or a self-loop): an arc above the row.
    const leftToRight = a.x <= b.x;
    x1 = a.x + a.width / 2 + (leftToRight ? 10 : -10);
    x2 = b.x + b.width / 2 + (leftToRight ? -10 : 10);
    y1 = a.y;
    y2 = b.y;
    const lift = 44 + fan + Math.abs(x2 - x1) * 0.12;
    if (a.id === b.id) {
      x1 = a.x + a.width * 0.35;
      x2 = a.x + a.width * 0.65;
    }
    path = `M${x1},${y1} C${x1},${y1 - lift} ${x2},${y2 - lift} ${x2},${y2}`;
    return {
      path,
      points: [
        [x1, y1],
        [x2, y2],
      ],
      labelX: (x1 + x2) / 2,
      labelY: y1 - lift * 0.75,
    };
  }
  const downward = a.y < b.y;
  x1 = a.x + a.width / 2 + fan;
  x2 = b.x + b.width / 2 + fan;
  y1 = downward ? a.y + a.height : a.y;
  y2 = downward ? b.y : b.y + b.height;
  const bend = (y2 - y1) / 2;
  path = `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
  return {
    path,
    points: [
      [x1, y1],
      [x2, y2],
    ],
    labelX: (x1 + x2) / 2,
    labelY: (y1 + y2) / 2,
  };
}
