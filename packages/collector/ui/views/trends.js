// Outcome trends per type and version from GET /v1/stats, with the window's summary figures.
import { apiGet } from '../lib/api.js';
import { clear, h, s } from '../lib/dom.js';
import { formatDuration, formatNumber, formatPercent, tone } from '../lib/format.js';
import { routeHash } from '../lib/route.js';
import { bucketFor, outcomeTable, trendSeries, windowStart } from '../lib/trend-series.js';
import { alertCountsByType } from '../lib/alert-text.js';
import { loading, notice } from '../components/badges.js';
import { errorNotice } from '../components/errors.js';
import { legendSample, lineChart, seriesStyle } from '../components/line-chart.js';

const WINDOWS = [
  { value: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 24 * 3_600_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];
const PALETTE_SIZE = 8;

export function renderTrends(root, route) {
  const controller = new AbortController();
  const window = WINDOWS.find((w) => w.value === route.query.window) ?? WINDOWS[1];
  const type = route.query.type ?? '';
  const body = h('div', { class: 'trends-body' }, loading('Loading statistics…'));
  const windowSelect = h(
    'select',
    { id: 'trend-window', name: 'window' },
    WINDOWS.map((w) => h('option', { value: w.value, selected: w === window }, w.label)),
  );
  const typeInput = h('input', { id: 'trend-type', name: 'type', value: type, placeholder: 'all types', autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'trend-controls', role: 'search', 'aria-label': 'Trend window' },
    h('div', { class: 'field' }, h('label', { for: 'trend-type' }, 'Type'), typeInput),
    h('div', { class: 'field' }, h('label', { for: 'trend-window' }, 'Window'), windowSelect),
    h('button', { type: 'submit', class: 'button primary' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = routeHash('trends', { query: { type: typeInput.value.trim(), window: windowSelect.value } });
  });
  windowSelect.addEventListener('change', () => form.requestSubmit());
  root.append(
    h(
      'section',
      { class: 'page' },
      h(
        'header',
        { class: 'page-head' },
        h('div', {}, h('h1', {}, 'Trends'), h('p', { class: 'subtitle' }, 'Outcome rates per decision type and version, weighted by sampling.')),
        form,
      ),
      body,
    ),
  );

  // The window's alerts mark their types' cards; a collector without /v1/alerts marks none.
  const since = windowStart(window.ms, Date.now());
  const alerts = apiGet('/v1/alerts', { type: type || undefined, since, limit: 1000 }, { signal: controller.signal })
    .then((page) => alertCountsByType(page.alerts))
    .catch(() => new Map());
  apiGet('/v1/stats', { type: type || undefined, since, bucket: bucketFor(window.ms) }, { signal: controller.signal })
    .then(async (stats) => clear(body).append(...page(stats, await alerts, window.value).flat()))
    .catch((error) => {
      if (error?.status === 404) {
        clear(body).append(
          notice(
            'info',
            'Trends are not available on this collector',
            'It does not serve GET /v1/stats yet (it answered 404). Update the collector to see outcome trends.',
          ),
        );
      } else {
        clear(body).append(errorNotice(error, 'statistics') ?? '');
      }
    });
  return () => controller.abort();
}

function page(stats, alertCounts, windowValue) {
  const domain = [Date.parse(stats.since), Date.parse(stats.until)];
  const groups = trendSeries(stats);
  const d = stats.duration_ms;
  const t = stats.token_usage;
  return [
    h(
      'div',
      { class: 'stat-row' },
      stat(
        'Decisions',
        formatNumber(stats.total.count),
        stats.total.weighted_count !== stats.total.count ? `${formatNumber(stats.total.weighted_count, 1)} weighted` : 'unsampled',
      ),
      stat('Duration p50', formatDuration(d.p50), d.count ? `p95 ${formatDuration(d.p95)} · max ${formatDuration(d.max)}` : 'no timed decisions'),
      stat('Tokens', formatNumber(t.total_tokens), `${formatNumber(t.decisions)} decisions with LLM calls`),
      h('div', { class: 'stat card histogram-card' }, h('span', { class: 'label' }, 'Confidence'), histogram(stats.confidence_histogram)),
    ),
    groups.length === 0
      ? notice('info', 'No decisions in this window', 'Widen the window or send decisions to the collector.')
      : groups.map((g) => typeCard(g, stats, domain, alertCounts.get(g.type) ?? 0, windowValue)),
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

function histogram(bins) {
  const max = Math.max(1, ...bins.map((b) => b.count));
  const W = 200;
  const H = 52;
  const bw = W / bins.length;
  return s(
    'svg',
    {
      class: 'histogram',
      viewBox: `0 0 ${W} ${H + 12}`,
      role: 'img',
      'aria-label': `Confidence histogram: ${bins.map((b) => `${b.lower.toFixed(1)}–${b.upper.toFixed(1)}: ${b.count}`).join(', ')}`,
    },
    bins.map((b, i) => {
      const bh = (b.count / max) * H;
      return s(
        'rect',
        { x: i * bw + 1.5, y: H - bh, width: bw - 3, height: Math.max(bh, b.count > 0 ? 1.5 : 0), rx: 2, class: 'hist-bar' },
        s('title', {}, `${b.lower.toFixed(1)}–${b.upper.toFixed(1)}: ${b.count}`),
      );
    }),
    s('line', { x1: 0, x2: W, y1: H + 0.5, y2: H + 0.5, class: 'axis-line' }),
    s('text', { x: 0, y: H + 11, class: 'axis-text' }, '0'),
    s('text', { x: W, y: H + 11, 'text-anchor': 'end', class: 'axis-text' }, '1'),
  );
}

function typeCard(group, stats, domain, alertCount, windowValue) {
  const colorOf = outcomeColors(group.outcomes);
  const styleOf = new Map(group.outcomes.map((o, i) => [o, seriesStyle(i)]));
  const table = outcomeTable(stats.by_outcome, group.type);
  return h(
    'section',
    { class: 'card section trend-card', 'aria-label': `Trends of ${group.type}`, dataset: { type: group.type } },
    h(
      'div',
      { class: 'trend-head' },
      h('h2', {}, group.type),
      alertCount > 0
        ? h(
            'a',
            {
              class: 'pill alert-link',
              href: routeHash('alerts', { query: { type: group.type, since: windowValue } }),
              title: `Alerts of ${group.type} in the window (${windowValue})`,
            },
            `${alertCount} alert${alertCount === 1 ? '' : 's'}`,
          )
        : null,
      h(
        'ul',
        { class: 'legend' },
        group.outcomes.map((o) => h('li', {}, legendSample(styleOf.get(o), colorOf.get(o)), o)),
      ),
    ),
    h(
      'div',
      { class: 'chart-grid' },
      group.versions.map((v) =>
        chartFigure(v, {
          xDomain: domain,
          label: `Outcome rates of ${group.type} ${v.version} over time`,
          lines: v.lines.map((l) => ({ label: l.outcome, colorClass: colorOf.get(l.outcome), style: styleOf.get(l.outcome), points: l.points })),
        }),
      ),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'rates' },
        h('caption', { class: 'sr-only' }, `Outcome rates of ${group.type} by version over the window`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Version'),
            table.outcomes.map((o) => h('th', { scope: 'col' }, h('span', { class: `swatch ${colorOf.get(o) ?? ''}` }), o)),
          ),
        ),
        h(
          'tbody',
          {},
          table.versions.map((v) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('span', { class: 'version' }, v)),
              table.outcomes.map((o) => {
                const cell = table.cell(v, o);
                return h(
                  'td',
                  { class: 'rate-cell' },
                  h(
                    'span',
                    { class: 'rate-bar', 'aria-hidden': 'true' },
                    h('span', { class: colorOf.get(o), style: { width: `${(cell?.rate ?? 0) * 100}%` } }),
                  ),
                  h('span', { class: 'num' }, formatPercent(cell?.rate ?? 0)),
                  h('span', { class: 'sub' }, ` ${formatNumber(cell?.count ?? 0)}`),
                );
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * A version's chart, drawn at its box's width (and again when that changes) so that the chart
 * fills its card and its text stays readable from a phone to a wide screen.
 */
function chartFigure(version, chart) {
  const figure = h(
    'figure',
    { class: 'chart-box' },
    h(
      'figcaption',
      {},
      h('span', { class: 'version' }, version.version),
      h('span', { class: 'muted small' }, `${formatNumber(version.total)} decision${version.total === 1 ? '' : 's'}`),
    ),
  );
  let drawn = null;
  let drawnWidth = 0;
  const draw = (width) => {
    const w = Math.max(260, Math.round(width));
    if (drawn && Math.abs(w - drawnWidth) < 4) return;
    const next = lineChart({ ...chart, width: w, height: w < 480 ? 200 : 230 });
    if (drawn) drawn.replaceWith(next);
    else figure.append(next);
    drawn = next;
    drawnWidth = w;
  };
  draw(520);
  new ResizeObserver((entries) => {
    const box = entries[0]?.contentBoxSize?.[0];
    const width = box ? box.inlineSize : figure.clientWidth;
    if (width > 0) draw(width);
  }).observe(figure);
  return figure;
}

/**
 * The first good / bad / warn outcome keeps its meaning's colour; the others take the palette in
 * order, so no two outcomes of a type share a colour.
 */
function outcomeColors(outcomes) {
  const colors = new Map();
  const usedTones = new Set();
  let next = 0;
  for (const outcome of outcomes) {
    const t = tone(outcome);
    if (t !== 'neutral' && !usedTones.has(t)) {
      usedTones.add(t);
      colors.set(outcome, `tone-${t}`);
    } else {
      colors.set(outcome, `c${next++ % PALETTE_SIZE}`);
    }
  }
  return colors;
}
