// The decision graph around one decision: layered SVG drawing, nodes open their decision.
import { apiGet } from '../lib/api.js';
import { clear, h, s } from '../lib/dom.js';
import { formatConfidence, shortId, tone } from '../lib/format.js';
import { layoutGraph } from '../lib/graph-layout.js';
import { routeHash } from '../lib/route.js';
import { loading } from '../components/badges.js';
import { errorNotice } from '../components/errors.js';

const DEPTHS = [1, 2, 3, 4, 5, 6, 8, 10];

export function renderGraph(root, route) {
  const controller = new AbortController();
  const depth = DEPTHS.includes(Number(route.query.depth)) ? Number(route.query.depth) : 3;
  const tenant = route.query.tenant;
  const body = h('div', { class: 'graph-body' }, loading('Loading graph…'));
  const depthSelect = h(
    'select',
    { id: 'graph-depth' },
    DEPTHS.map((d) => h('option', { value: String(d), selected: d === depth }, `${d} hop${d > 1 ? 's' : ''}`)),
  );
  depthSelect.addEventListener('change', () => (location.hash = routeHash('graph', { id: route.id, query: { tenant, depth: depthSelect.value } })));
  root.append(
    h(
      'section',
      { class: 'page' },
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: routeHash('list') }, 'Decisions'),
        h('span', { 'aria-hidden': 'true' }, '/'),
        h('a', { href: routeHash('detail', { id: route.id, query: { tenant } }), class: 'mono' }, shortId(route.id, 40)),
        h('span', { 'aria-hidden': 'true' }, '/'),
        h('span', {}, 'graph'),
      ),
      h(
        'header',
        { class: 'page-head' },
        h('div', {}, h('h1', {}, 'Decision graph'), h('p', { class: 'subtitle', id: 'graph-summary' }, '')),
        h('div', { class: 'head-tools' }, h('label', { for: 'graph-depth', class: 'inline-label' }, 'Depth'), depthSelect),
      ),
      legend(),
      body,
    ),
  );
  apiGet(`/v1/decisions/${encodeURIComponent(route.id)}/graph`, { depth, tenant }, { signal: controller.signal })
    .then((graph) => {
      document.getElementById('graph-summary').textContent =
        `${graph.nodes.length} decision${graph.nodes.length === 1 ? '' : 's'}, ${graph.edges.length} edge${graph.edges.length === 1 ? '' : 's'} within ${graph.depth} hop${graph.depth === 1 ? '' : 's'}${graph.truncated ? ' (truncated at 500 nodes)' : ''}`;
      clear(body).append(drawing(graph));
    })
    .catch((error) => clear(body).append(errorNotice(error, `graph of "${route.id}"`) ?? ''));
  return () => controller.abort();
}

function legend() {
  const sample = (cls) => s('svg', { width: 36, height: 10, 'aria-hidden': 'true' }, s('line', { x1: 2, y1: 5, x2: 34, y2: 5, class: cls }));
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    h('li', {}, sample('edge-line parent'), 'parent → child'),
    h('li', {}, sample('edge-line causal'), 'causal link (holder → target)'),
    h('li', {}, h('span', { class: 'legend-node root' }), 'this decision'),
    h('li', {}, h('span', { class: 'legend-node missing' }), 'referenced, not stored'),
  );
}

function drawing(graph) {
  const layout = layoutGraph(graph.nodes, graph.edges);
  const svg = s(
    'svg',
    {
      class: 'graph',
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: 'img',
      'aria-label': `Decision graph with ${graph.nodes.length} decisions`,
    },
    s('defs', {}, marker('arrow-parent', 'parent'), marker('arrow-causal', 'causal')),
    s(
      'g',
      { class: 'edges' },
      layout.edges.map((e) =>
        s(
          'g',
          { class: `edge ${e.kind}`, dataset: { type: e.type } },
          s('title', {}, `${e.from} ${e.type} ${e.to}`),
          s('path', { d: e.path, class: `edge-line ${e.kind}`, 'marker-end': `url(#arrow-${e.kind})` }),
        ),
      ),
    ),
    s(
      'g',
      { class: 'edge-labels' },
      layout.edges.filter((e) => e.kind === 'causal' || layout.edges.length <= 40).map((e) => edgeLabel(e)),
    ),
    s(
      'g',
      { class: 'nodes' },
      layout.nodes.map((n) => node(n, graph)),
    ),
  );
  return h('div', { class: 'graph-scroll card' }, svg);
}

function marker(id, kind) {
  return s(
    'marker',
    { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow ${kind}` }),
  );
}

function edgeLabel(e) {
  const text = e.type === 'parent_of' ? 'parent of' : e.type.replaceAll('_', ' ');
  const width = text.length * 6.4 + 12;
  return s(
    'g',
    { class: `edge-label ${e.kind}`, transform: `translate(${e.labelX},${e.labelY})` },
    s('rect', { x: -width / 2, y: -9, width, height: 18, rx: 9 }),
    s('text', { 'text-anchor': 'middle', dy: '0.35em' }, text),
  );
}

function node(n, graph) {
  const isRoot = n.id === graph.root;
  const cls = `node${isRoot ? ' root' : ''}${n.missing ? ' missing' : ''} tone-${tone(n.outcome)}`;
  const title = n.missing ? 'referenced but not stored' : `${n.type ?? '(no type)'}${n.version ? ` ${n.version}` : ''}`;
  const body = [
    s('rect', { width: n.width, height: n.height, rx: 10, class: 'node-box' }),
    s('rect', { width: 5, height: n.height - 16, x: 0, y: 8, rx: 2.5, class: 'node-accent' }),
    s('text', { x: 16, y: 24, class: 'node-title' }, clip(title, 26)),
    s(
      'text',
      { x: 16, y: 44, class: 'node-sub' },
      n.missing ? clip(n.id, 30) : `${n.outcome ?? 'no outcome'}${n.confidence !== null ? ` · ${formatConfidence(n.confidence)}` : ''}`,
    ),
    s('text', { x: 16, y: 59, class: 'node-id' }, n.missing ? '' : shortId(n.id, 30)),
    s('title', {}, `${title}\n${n.id}${n.outcome ? `\noutcome: ${n.outcome}` : ''}`),
  ];
  const g = s('g', { class: cls, transform: `translate(${n.x},${n.y})`, dataset: { id: n.id } }, ...body);
  if (n.missing) return g;
  return s(
    'a',
    {
      href: routeHash('detail', { id: n.id, query: { tenant: graph.tenant } }),
      class: 'node-link',
      'aria-label': `${title}, ${n.outcome ?? 'no outcome'}${isRoot ? ' (this decision)' : ''}`,
    },
    g,
  );
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
