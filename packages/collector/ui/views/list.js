// The decisions list: filters (kept in the URL), a cursor "load more", live refresh, counts.
import { apiGet } from '../lib/api.js';
import { clear, h } from '../lib/dom.js';
import { activeFilters, FILTER_FIELDS, filterProblems } from '../lib/filters.js';
import { formatAgo, formatNumber, formatTime, shortId, tone } from '../lib/format.js';
import { countText, outcomeChips } from '../lib/list-counts.js';
import { routeHash } from '../lib/route.js';
import { confidenceMeter, loading, notice, outcomeBadge, statusPill } from '../components/badges.js';
import { errorNotice } from '../components/errors.js';

const PAGE_SIZE = 50;
const LIVE_INTERVAL_MS = 4000;
const LIVE_STORAGE = 'decision-trace.live';

export function renderList(root, route) {
  const filters = activeFilters(route.query);
  const rows = new Map(); // id → record, newest first
  let cursor = null;
  let timer = null;
  let stopped = false;
  const controller = new AbortController();

  const counts = h('div', { class: 'counts', 'aria-live': 'polite', id: 'list-counts' });
  let total = null; // decisions matching the filters, from GET /v1/stats; null when unknown
  const message = h('div', { class: 'list-message' });
  const tbody = h('tbody');
  const moreButton = h('button', { type: 'button', class: 'button', id: 'load-more', hidden: true, onclick: () => loadPage(cursor) }, 'Load more');
  const liveToggle = h('input', { type: 'checkbox', id: 'live-toggle', role: 'switch' });
  liveToggle.checked = sessionStorage.getItem(LIVE_STORAGE) === 'on';
  const lastRefresh = h('span', { class: 'muted small', id: 'last-refresh' });

  root.append(
    h(
      'section',
      { class: 'page' },
      h(
        'header',
        { class: 'page-head' },
        h('div', {}, h('h1', {}, 'Decisions'), h('p', { class: 'subtitle' }, counts)),
        h(
          'div',
          { class: 'head-tools' },
          lastRefresh,
          h('label', { class: 'switch', for: 'live-toggle' }, liveToggle, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), 'Live'),
          h('button', { type: 'button', class: 'button', onclick: () => refresh() }, 'Refresh'),
        ),
      ),
      filterForm(filters),
      message,
      h(
        'div',
        { class: 'table-wrap card' },
        h(
          'table',
          { class: 'decisions', 'aria-describedby': 'list-counts' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Started'),
              h('th', { scope: 'col' }, 'Type'),
              h('th', { scope: 'col' }, 'Outcome'),
              h('th', { scope: 'col' }, 'Confidence'),
              h('th', { scope: 'col' }, 'Status'),
              h('th', { scope: 'col' }, 'Actor'),
              h('th', { scope: 'col' }, 'Service'),
              h('th', { scope: 'col' }, 'Tenant'),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Flags')),
            ),
          ),
          tbody,
        ),
      ),
      h('div', { class: 'table-foot' }, moreButton),
    ),
  );

  const problems = filterProblems(filters);
  if (problems.length > 0) {
    message.append(notice('error', 'Check the filters', problems.join('; ')));
    return () => controller.abort();
  }

  function renderRows(fresh = new Set()) {
    clear(tbody);
    for (const record of rows.values()) tbody.append(row(record, fresh.has(record.id)));
    const n = rows.size;
    // The chips split the rows shown (not the total), so they add up to the number shown.
    clear(counts).append(
      h('span', { class: 'count-main' }, countText(n, cursor !== null, total, Object.keys(filters).length > 0)),
      n > 0 ? h('span', { class: 'count-of muted small' }, cursor !== null ? 'Of those shown:' : 'Outcomes:') : null,
      ...outcomeChips(rows.values()).map(({ outcome, count, other }) =>
        h('span', { class: `count-chip ${other ? 'neutral' : tone(outcome)}` }, `${outcome} ${formatNumber(count)}`),
      ),
    );
    moreButton.hidden = cursor === null;
    if (n === 0 && message.childElementCount === 0) {
      message.append(
        notice(
          'info',
          'No decisions match',
          Object.keys(filters).length > 0
            ? 'Loosen the filters or widen the time range.'
            : 'Nothing is stored yet: send spans to the collector or events to POST /v1/events.',
        ),
      );
    }
  }

  async function loadPage(from) {
    moreButton.disabled = true;
    if (from === null) clear(message).append(loading('Loading decisions…'));
    try {
      const body = await apiGet('/v1/decisions', { ...filters, limit: PAGE_SIZE, cursor: from ?? undefined }, { signal: controller.signal });
      clear(message);
      for (const record of body.decisions) rows.set(record.id, record);
      cursor = body.next_cursor;
      renderRows();
    } catch (error) {
      clear(message).append(errorNotice(error, 'decisions') ?? '');
    } finally {
      moreButton.disabled = false;
    }
  }

  /** The newest page again: new decisions go on top (highlighted), changed ones are updated in place. */
  async function refresh() {
    try {
      const body = await apiGet('/v1/decisions', { ...filters, limit: PAGE_SIZE }, { signal: controller.signal });
      const fresh = new Set();
      const merged = new Map();
      for (const record of body.decisions) {
        if (!rows.has(record.id)) fresh.add(record.id);
        merged.set(record.id, record);
      }
      const hadMore = rows.size > 0 ? cursor : body.next_cursor;
      for (const [id, record] of rows) if (!merged.has(id)) merged.set(id, record);
      rows.clear();
      for (const [id, record] of merged) rows.set(id, record);
      cursor = hadMore;
      if (fresh.size > 0 && cursor !== null) total = await matchingTotal(filters, controller.signal);
      if (rows.size > 0) clear(message);
      renderRows(fresh);
      lastRefresh.textContent = `Updated ${formatTime(new Date().toISOString())}`;
    } catch (error) {
      if (error?.name !== 'AbortError') clear(message).append(errorNotice(error, 'decisions') ?? '');
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (stopped || !liveToggle.checked) return;
    timer = setTimeout(async () => {
      await refresh();
      schedule();
    }, LIVE_INTERVAL_MS);
  }

  liveToggle.addEventListener('change', () => {
    sessionStorage.setItem(LIVE_STORAGE, liveToggle.checked ? 'on' : 'off');
    if (liveToggle.checked) refresh();
    schedule();
  });

  let loaded = false;
  loadPage(null).then(() => {
    loaded = true;
    schedule();
  });
  matchingTotal(filters, controller.signal).then((t) => {
    total = t;
    if (loaded && !stopped) renderRows();
  });

  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
  };
}

function filterForm(filters) {
  const form = h('form', { class: 'filters card', 'aria-label': 'Filter decisions', role: 'search' });
  const fields = FILTER_FIELDS.map((field) => {
    const id = `filter-${field.param}`;
    let control;
    if (field.options) {
      control = h(
        'select',
        { id, name: field.param },
        field.options.map((value, i) =>
          h('option', { value, selected: (filters[field.param] ?? '') === value }, field.optionLabels?.[i] ?? (value === '' ? 'Any' : value)),
        ),
      );
    } else {
      control = h('input', {
        id,
        name: field.param,
        type: field.number ? 'number' : 'text',
        min: field.number ? '0' : undefined,
        max: field.number ? '1' : undefined,
        step: field.number ? '0.05' : undefined,
        placeholder: field.number ? (field.param.startsWith('min') ? '0' : '1') : field.placeholder,
        value: filters[field.param] ?? '',
        list: field.suggestions ? `${id}-list` : undefined,
        autocomplete: 'off',
        spellcheck: 'false',
      });
    }
    return h(
      'div',
      { class: `field field-${field.param}` },
      h('label', { for: id }, field.label),
      control,
      field.suggestions
        ? h(
            'datalist',
            { id: `${id}-list` },
            field.suggestions.map((v) => h('option', { value: v })),
          )
        : null,
    );
  });
  const activeCount = Object.keys(filters).length;
  form.append(
    h('div', { class: 'filter-grid' }, fields),
    h(
      'div',
      { class: 'filter-actions' },
      h('span', { class: 'muted small' }, activeCount === 0 ? 'No filters' : `${activeCount} filter${activeCount > 1 ? 's' : ''} active`),
      h('button', { type: 'button', class: 'button ghost', id: 'reset-filters', onclick: () => (location.hash = routeHash('list')) }, 'Reset'),
      h('button', { type: 'submit', class: 'button primary', id: 'apply-filters' }, 'Apply filters'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = activeFilters(Object.fromEntries(new FormData(form)));
    location.hash = routeHash('list', { query });
  });
  return form;
}

function row(record, fresh) {
  const href = routeHash('detail', { id: record.id, query: { tenant: record.tenant } });
  const violations = record.violations?.length ?? 0;
  const tr = h(
    'tr',
    { class: fresh ? 'row-new' : undefined, dataset: { id: record.id } },
    h(
      'td',
      { class: 'nowrap' },
      h('span', { class: 'time' }, formatTime(record.start_time ?? record.updated_at)),
      h('span', { class: 'ago' }, formatAgo(record.start_time ?? record.updated_at)),
    ),
    h(
      'td',
      {},
      h('a', { href, class: 'type-link' }, record.type ?? '(no type)', record.version ? h('span', { class: 'version' }, record.version) : null),
      h('span', { class: 'id mono', title: record.id }, shortId(record.id, 26)),
    ),
    h('td', {}, outcomeBadge(record.outcome)),
    h('td', {}, confidenceMeter(record.confidence)),
    h('td', {}, statusPill(record.status)),
    h('td', {}, record.actor?.id ?? h('span', { class: 'muted' }, '–'), record.actor?.type ? h('span', { class: 'sub' }, record.actor.type) : null),
    h('td', {}, record.service_name ?? h('span', { class: 'muted' }, '–')),
    h('td', {}, record.tenant),
    h(
      'td',
      { class: 'flags' },
      violations > 0 ? h('span', { class: 'flag-violation', title: `${violations} contract violation${violations > 1 ? 's' : ''}` }, `⚠ ${violations}`) : null,
      record.parent_decision_id ? h('span', { class: 'flag-nested', title: 'nested decision' }, '↳') : null,
    ),
  );
  tr.addEventListener('click', (event) => {
    if (event.target.closest('a')) return;
    location.hash = href;
  });
  return tr;
}

/**
 * The number of decisions matching the list's filters, from GET /v1/stats over the same filters
 * and window (all time when the filters give none), or null when the API does not serve it.
 */
async function matchingTotal(filters, signal) {
  const since = filters.since ?? '1970-01-02T00:00:00Z';
  // 2200 keeps the bound's microseconds within Number.MAX_SAFE_INTEGER.
  const until = filters.until ?? '2200-01-01T00:00:00Z';
  try {
    const stats = await apiGet('/v1/stats', { ...filters, since, until, bucket: '400000d' }, { signal });
    return typeof stats?.total?.count === 'number' ? stats.total.count : null;
  } catch {
    return null; // without /v1/stats the list still works; the header then says "more below"
  }
}
