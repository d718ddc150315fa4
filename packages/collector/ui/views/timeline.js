// A trace's timeline: its spans as a waterfall, coloured by kind, with the decisions on them.
import { apiGet } from '../lib/api.js';
import { clear, h } from '../lib/dom.js';
import { formatDuration, formatNumber, formatTime, shortId } from '../lib/format.js';
import { niceTicks } from '../lib/scale.js';
import { routeHash } from '../lib/route.js';
import { waterfallRows } from '../lib/waterfall.js';
import { kindChip, loading, outcomeBadge } from '../components/badges.js';
import { errorNotice } from '../components/errors.js';

const KINDS = ['AGENT', 'CHAIN', 'LLM', 'TOOL', 'RETRIEVER', 'EMBEDDING', 'FUNCTION'];

export function renderTimeline(root, route) {
  const controller = new AbortController();
  const tenant = route.query.tenant;
  const body = h('div', { class: 'page' }, loading('Loading trace…'));
  root.append(
    h(
      'section',
      { class: 'page' },
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: routeHash('list') }, 'Decisions'),
        h('span', { 'aria-hidden': 'true' }, '/'),
        route.query.decision
          ? [
              h('a', { href: routeHash('detail', { id: route.query.decision, query: { tenant } }), class: 'mono' }, shortId(route.query.decision, 40)),
              h('span', { 'aria-hidden': 'true' }, '/'),
            ]
          : null,
        h('span', {}, 'trace'),
      ),
      body,
    ),
  );
  apiGet(`/v1/traces/${encodeURIComponent(route.id)}`, { tenant }, { signal: controller.signal })
    .then((view) => clear(body).append(...page(view, route.query.decision).flat()))
    .catch((error) => clear(body).append(errorNotice(error, `trace "${route.id}"`) ?? ''));
  return () => controller.abort();
}

function page(view, focusDecision) {
  const { rows, totalMs } = waterfallRows(view.spans);
  const decisions = new Map(view.decisions.map((d) => [d.id, d]));
  const start = view.spans.find((sp) => sp.start_time)?.start_time;
  const usage = view.token_usage;
  const kindsPresent = new Set(view.spans.map((sp) => sp.kind ?? 'SPAN'));
  return [
    h('header', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Trace timeline'), h('p', { class: 'subtitle mono' }, view.trace_id))),
    h(
      'div',
      { class: 'stat-row' },
      stat('Spans', formatNumber(view.spans.length)),
      stat('Duration', formatDuration(totalMs)),
      stat('Decisions', formatNumber(view.decisions.length)),
      stat(
        'Tokens',
        usage ? formatNumber(usage.total) : '–',
        usage ? `${formatNumber(usage.llm_calls)} LLM call${usage.llm_calls === 1 ? '' : 's'}` : undefined,
      ),
      stat('Started', formatTime(start).slice(11) || '–', formatTime(start).slice(0, 10)),
      stat('Tenant', view.tenant),
    ),
    h(
      'ul',
      { class: 'legend', 'aria-label': 'Span kinds' },
      [...KINDS, 'SPAN']
        .filter((k) => kindsPresent.has(k))
        .map((k) => h('li', {}, h('span', { class: `swatch kind-${k.toLowerCase()}` }), k === 'SPAN' ? 'other span' : k)),
      h('li', {}, h('span', { class: 'decision-marker static', 'aria-hidden': 'true' }), 'decision'),
    ),
    view.spans.length === 0
      ? h('p', { class: 'muted card pad' }, 'No spans of this trace are stored (only its decisions).')
      : waterfall(rows, totalMs, decisions, focusDecision),
    h(
      'section',
      { class: 'card section', 'aria-labelledby': 'trace-decisions' },
      h('h2', { id: 'trace-decisions' }, 'Decisions in this trace'),
      view.decisions.length === 0
        ? h('p', { class: 'muted' }, 'None.')
        : h(
            'ul',
            { class: 'related-list' },
            view.decisions.map((d) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { href: routeHash('detail', { id: d.id, query: { tenant: d.tenant } }) },
                  d.type ?? '(no type)',
                  d.version ? h('span', { class: 'version' }, d.version) : null,
                ),
                outcomeBadge(d.outcome),
                h('span', { class: 'mono muted' }, shortId(d.id, 30)),
              ),
            ),
          ),
    ),
  ];
}

function stat(label, value, sub) {
  return h(
    'div',
    { class: 'stat card' },
    h('span', { class: 'label' }, label),
    h('span', { class: 'stat-value' }, value),
    sub ? h('span', { class: 'sub' }, sub) : null,
  );
}

function waterfall(rows, totalMs, decisions, focusDecision) {
  const ticks = niceTicks(totalMs, 5);
  const axis = h(
    'div',
    { class: 'wf-axis', 'aria-hidden': 'true' },
    ticks.map((t) => h('span', { class: 'wf-tick', style: { left: `${totalMs === 0 ? 0 : (t / totalMs) * 100}%` } }, formatDuration(t))),
  );
  const grid = () =>
    h(
      'div',
      { class: 'wf-grid', 'aria-hidden': 'true' },
      ticks.map((t) => h('span', { style: { left: `${totalMs === 0 ? 0 : (t / totalMs) * 100}%` } })),
    );
  return h(
    'div',
    { class: 'waterfall card', role: 'table', 'aria-label': 'Spans of the trace' },
    h(
      'div',
      { class: 'wf-row wf-head', role: 'row' },
      h('div', { class: 'wf-name', role: 'columnheader' }, 'Span'),
      h('div', { class: 'wf-track', role: 'columnheader' }, h('span', { class: 'sr-only' }, 'Timing'), axis),
    ),
    rows.map((row) => spanRow(row, decisions, focusDecision, grid)),
  );
}

function spanRow(row, decisions, focusDecision, grid) {
  const sp = row.span;
  const kind = (sp.kind ?? 'span').toLowerCase();
  const onSpan = sp.decision_ids.map((id) => decisions.get(id)).filter(Boolean);
  const focused = focusDecision && sp.decision_ids.includes(focusDecision);
  const details = h('div', { class: 'wf-details', hidden: true }, spanDetails(sp));
  const toggle = h(
    'button',
    { type: 'button', class: 'wf-toggle', 'aria-expanded': 'false', title: sp.name },
    h('span', { class: 'wf-indent', style: { width: `${row.depth * 16}px` } }),
    kindChip(sp.kind),
    h('span', { class: 'wf-label' }, sp.name),
  );
  toggle.addEventListener('click', () => {
    details.hidden = !details.hidden;
    toggle.setAttribute('aria-expanded', String(!details.hidden));
  });
  const bar = row.timed
    ? h('div', {
        class: `wf-bar kind-${kind}${sp.status === 'error' ? ' error' : ''}`,
        style: { left: `${row.offset * 100}%`, width: `max(${row.width * 100}%, 2px)` },
        title: `${sp.name}: ${formatDuration(row.durationMs)}`,
      })
    : null;
  return h(
    'div',
    {
      class: `wf-span${focused ? ' focused' : ''}${sp.status === 'error' ? ' has-error' : ''}`,
      role: 'rowgroup',
      dataset: { spanId: sp.span_id, kind: sp.kind ?? '' },
    },
    h(
      'div',
      { class: 'wf-row', role: 'row' },
      h(
        'div',
        { class: 'wf-name', role: 'cell' },
        toggle,
        onSpan.map((d) =>
          h('a', {
            class: 'decision-marker',
            href: routeHash('detail', { id: d.id, query: { tenant: d.tenant } }),
            title: `decision ${d.type ?? d.id}${d.outcome ? ` → ${d.outcome}` : ''}`,
            'aria-label': `decision ${d.type ?? d.id}`,
          }),
        ),
      ),
      h(
        'div',
        { class: 'wf-track', role: 'cell' },
        grid(),
        bar,
        // The track keeps a margin on its right, so the label after even a full-width bar fits.
        row.timed
          ? h('span', { class: 'wf-duration', style: { left: `${(row.offset + row.width) * 100}%` } }, formatDuration(row.durationMs))
          : h('span', { class: 'muted small' }, 'no timing'),
        onSpan.length > 0 && row.timed ? h('span', { class: 'decision-marker on-bar', style: { left: `${row.offset * 100}%` }, 'aria-hidden': 'true' }) : null,
      ),
    ),
    details,
  );
}

function spanDetails(sp) {
  const facts = [
    ['Kind', sp.kind ? `${sp.kind} (${sp.kind_source})` : null],
    ['OTel kind', sp.span_kind],
    ['Service', sp.service_name],
    ['Model', sp.model],
    ['Agent', sp.agent_name],
    ['Tool', sp.tool_name],
    ['Operation', sp.operation],
    ['Status', sp.status === 'unset' ? null : `${sp.status}${sp.status_message ? `: ${sp.status_message}` : ''}`],
    [
      'Tokens',
      sp.token_usage
        ? `${formatNumber(sp.token_usage.input)} in · ${formatNumber(sp.token_usage.output)} out${sp.token_usage.cached ? ` · ${formatNumber(sp.token_usage.cached)} cached` : ''}`
        : null,
    ],
    ['Started', formatTime(sp.start_time)],
    ['Duration', formatDuration(sp.duration_ms)],
    ['Span id', sp.span_id],
  ].filter(([, v]) => v !== null && v !== undefined);
  return h(
    'dl',
    { class: 'facts compact' },
    facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}
