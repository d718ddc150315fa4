// One decision: what it decided and why (evidence, policy checks, factors, alternatives),
// what it did (actions, approvals), what went wrong (violations, errors), and its relations.
import { apiGet } from '../lib/api.js';
import { clear, h } from '../lib/dom.js';
import { displayValue, formatDuration, formatNumber, formatTime, jsonText, shortId, tone } from '../lib/format.js';
import { routeHash } from '../lib/route.js';
import { confidenceMeter, loading, outcomeBadge, statusPill } from '../components/badges.js';
import { errorNotice } from '../components/errors.js';

export function renderDetail(root, route) {
  const controller = new AbortController();
  const tenant = route.query.tenant;
  root.append(loading('Loading decision…'));
  Promise.all([
    apiGet(`/v1/decisions/${encodeURIComponent(route.id)}`, { tenant }, { signal: controller.signal }),
    apiGet(`/v1/decisions/${encodeURIComponent(route.id)}/graph`, { depth: 1, tenant }, { signal: controller.signal }).catch(() => null),
  ])
    .then(([record, graph]) => clear(root).append(page(record, graph)))
    .catch((error) => clear(root).append(crumbs(route.id), errorNotice(error, `decision "${route.id}"`) ?? ''));
  return () => controller.abort();
}

function crumbs(id) {
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: routeHash('list') }, 'Decisions'),
    h('span', { 'aria-hidden': 'true' }, '/'),
    h('span', { class: 'mono' }, shortId(id, 40)),
  );
}

function page(r, graph) {
  const q = { tenant: r.tenant };
  return h(
    'section',
    { class: 'page detail' },
    crumbs(r.id),
    h(
      'header',
      { class: 'detail-head card' },
      h(
        'div',
        { class: 'detail-title' },
        h('h1', {}, r.type ?? '(no type)', r.version ? h('span', { class: 'version large' }, r.version) : null),
        h('p', { class: 'mono id-line' }, r.id),
      ),
      h(
        'div',
        { class: 'headline' },
        h('div', { class: 'headline-item' }, h('span', { class: 'label' }, 'Outcome'), outcomeBadge(r.outcome)),
        h('div', { class: 'headline-item' }, h('span', { class: 'label' }, 'Confidence'), confidenceMeter(r.confidence)),
        h('div', { class: 'headline-item' }, h('span', { class: 'label' }, 'Status'), statusPill(r.status)),
        h('div', { class: 'headline-item' }, h('span', { class: 'label' }, 'Duration'), h('span', { class: 'num' }, formatDuration(r.duration_ms))),
      ),
      h(
        'div',
        { class: 'head-links' },
        h('a', { class: 'button', href: routeHash('graph', { id: r.id, query: q }), id: 'open-graph' }, 'Decision graph'),
        r.trace_id
          ? h(
              'a',
              { class: 'button', href: routeHash('timeline', { id: r.trace_id, query: { tenant: r.tenant, decision: r.id } }), id: 'open-timeline' },
              'Trace timeline',
            )
          : null,
      ),
    ),
    h(
      'dl',
      { class: 'facts card' },
      fact('Started', formatTime(r.start_time)),
      fact('Ended', formatTime(r.end_time)),
      fact('Actor', actorText(r.actor)),
      fact('Service', r.service_name),
      fact('Tenant', r.tenant),
      fact('Environment', r.environment),
      fact(
        'Trace',
        r.trace_id
          ? h('a', { class: 'mono', href: routeHash('timeline', { id: r.trace_id, query: { tenant: r.tenant, decision: r.id } }) }, shortId(r.trace_id, 20))
          : null,
      ),
      fact('Sampling', samplingText(r)),
      fact('Events', formatNumber(r.event_count)),
      fact('Updated', formatTime(r.updated_at)),
    ),
    h(
      'div',
      { class: 'detail-grid' },
      section('Evidence', 'evidence', keyValues(r.evidence), true),
      section('Policy checks', 'policy-checks', policyChecks(r.policy_checks), true),
      section('Factors', 'factors', r.factors === null ? null : typeof r.factors === 'string' ? pre(r.factors) : keyValues(r.factors)),
      section('Alternatives', 'alternatives', alternatives(r.alternatives)),
      section('Actions', 'actions', items(r.actions)),
      section('Approvals', 'approvals', items(r.approvals)),
      section('Violations', 'violations', violations(r.violations), false, (r.violations?.length ?? 0) > 0 ? 'warn' : undefined),
      section('Redactions', 'redactions', redactions(r.redactions)),
      section('Token usage', 'token-usage', tokenUsage(r.token_usage, r.token_usage_with_nested)),
      section('Related decisions', 'related', related(r, graph)),
      r.error !== null && r.error !== undefined ? section('Error', 'error', pre(displayValue(r.error)), false, 'bad') : null,
      r.evaluations?.length ? section('Evaluations', 'evaluations', items(r.evaluations)) : null,
      r.flags?.length
        ? section(
            'Data flags',
            'flags',
            h(
              'ul',
              { class: 'plain-list' },
              r.flags.map((f) => h('li', {}, h('code', {}, f.field), ` ${f.code}: ${f.detail}`)),
            ),
          )
        : null,
    ),
    r.events?.length ? h('details', { class: 'card raw-events' }, h('summary', {}, `Ledger events (${r.events.length})`), pre(jsonText(r.events, 2))) : null,
  );
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value === null || value === undefined || value === '' ? h('span', { class: 'muted' }, '–') : value)];
}

function section(title, id, content, alwaysShow = false, accent) {
  const empty = content === null || content === undefined;
  return h(
    'section',
    { class: `card section${accent ? ` accent-${accent}` : ''}${empty ? ' empty' : ''}`, id: `section-${id}`, 'aria-labelledby': `title-${id}` },
    h('h2', { id: `title-${id}` }, title),
    empty ? h('p', { class: 'muted' }, alwaysShow ? 'None recorded.' : 'None.') : content,
  );
}

function actorText(actor) {
  if (!actor || (!actor.id && !actor.type)) return null;
  return [
    actor.id ?? '(unknown)',
    actor.type ? h('span', { class: 'sub' }, ` ${actor.type}${actor.version ? ` ${actor.version}` : ''}`) : null,
    actor.org ? h('span', { class: 'sub' }, ` · ${actor.org}`) : null,
  ];
}

function samplingText(r) {
  if (r.trace_sampled === null && r.adjusted_count === null) return null;
  const kept = r.trace_sampled === null ? '' : r.trace_sampled ? 'trace kept' : 'trace dropped';
  const weight = r.adjusted_count === null ? '' : `weight ${formatNumber(r.adjusted_count, 2)}`;
  return [kept, weight].filter(Boolean).join(' · ');
}

function keyValues(object) {
  if (!object || Object.keys(object).length === 0) return null;
  return h(
    'table',
    { class: 'kv' },
    h(
      'tbody',
      {},
      Object.entries(object).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, valueCell(v)))),
    ),
  );
}

function valueCell(value) {
  if (value !== null && typeof value === 'object') return pre(jsonText(value, 2));
  if (typeof value === 'boolean') return h('span', { class: `badge ${value ? 'good' : 'bad'}` }, String(value));
  return h('span', { class: typeof value === 'number' ? 'num' : undefined }, displayValue(value));
}

function policyChecks(checks) {
  if (!checks?.length) return null;
  return h(
    'ul',
    { class: 'checks' },
    checks.map((c) => {
      const result = typeof c.result === 'string' || typeof c.result === 'boolean' ? c.result : displayValue(c.result);
      return h(
        'li',
        { class: `check ${tone(c.result)}` },
        h('span', { class: 'check-icon', 'aria-hidden': 'true' }, { good: '✓', bad: '✕', warn: '!' }[tone(c.result)] ?? '•'),
        h('span', { class: 'check-name' }, c.policy),
        h('span', { class: `badge ${tone(c.result)}` }, String(result)),
        c.inputs !== undefined ? h('details', { class: 'check-inputs' }, h('summary', {}, 'inputs'), pre(displayValue(c.inputs))) : null,
      );
    }),
  );
}

function alternatives(alts) {
  if (alts === null || alts === undefined || (Array.isArray(alts) && alts.length === 0)) return null;
  if (typeof alts === 'string') return pre(alts);
  return h(
    'ul',
    { class: 'chips' },
    alts.map((a) => h('li', { class: 'chip' }, typeof a === 'string' ? a : jsonText(a))),
  );
}

function items(list) {
  if (!list?.length) return null;
  return h(
    'ol',
    { class: 'items' },
    list.map((item) => h('li', {}, item !== null && typeof item === 'object' && !Array.isArray(item) ? (keyValues(item) ?? '{}') : pre(displayValue(item)))),
  );
}

function violations(list) {
  if (!list?.length) return null;
  return h(
    'ul',
    { class: 'plain-list violations' },
    list.map((v) => h('li', {}, h('span', { class: 'badge warn' }, v.rule), ' ', v.detail)),
  );
}

function redactions(list) {
  if (!list?.length) return null;
  return h(
    'table',
    { class: 'kv' },
    h(
      'tbody',
      {},
      list.map((r) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, r.field)), h('td', {}, h('span', { class: 'pill' }, r.action)))),
    ),
  );
}

function tokenUsage(own, nested) {
  if (!own && !nested) return null;
  const column = (u) =>
    u
      ? [u.input, u.output, u.cached, u.total, u.llm_calls].map((n) => h('td', { class: 'num' }, formatNumber(n)))
      : [h('td', { colspan: '5', class: 'muted' }, '–')];
  return h(
    'table',
    { class: 'tokens' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}),
        ['Input', 'Output', 'Cached', 'Total', 'LLM calls'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h('tbody', {}, h('tr', {}, h('th', { scope: 'row' }, 'This decision'), column(own)), h('tr', {}, h('th', { scope: 'row' }, 'With nested'), column(nested))),
  );
}

function related(r, graph) {
  const nodes = new Map((graph?.nodes ?? []).map((n) => [n.id, n]));
  const link = (id, label) => {
    const n = nodes.get(id);
    return h(
      'li',
      {},
      h('span', { class: 'rel-label' }, label),
      n?.missing
        ? h('span', { class: 'mono muted', title: 'referenced but not stored' }, `${shortId(id, 28)} (not stored)`)
        : h(
            'a',
            { href: routeHash('detail', { id, query: { tenant: r.tenant } }), class: 'rel-link' },
            n?.type ?? shortId(id, 28),
            n?.outcome ? h('span', { class: 'sub' }, ` → ${n.outcome}`) : null,
          ),
    );
  };
  const list = [];
  if (r.parent_decision_id) list.push(link(r.parent_decision_id, 'parent'));
  for (const e of graph?.edges ?? []) if (e.kind === 'parent' && e.from === r.id) list.push(link(e.to, 'child'));
  for (const l of r.causal_links ?? []) list.push(link(l.target_decision_id, l.type.replaceAll('_', ' ')));
  for (const e of graph?.edges ?? []) if (e.kind === 'causal' && e.to === r.id) list.push(link(e.from, `${e.type.replaceAll('_', ' ')} this`));
  return list.length === 0 ? null : h('ul', { class: 'related-list' }, list);
}

function pre(text) {
  return h('pre', { class: 'code' }, text);
}
