// Anomaly alerts from GET /v1/alerts, newest first: what moved, from what to what, when, and
// the decisions that show it.
import { apiGet } from '../lib/api.js';
import { clear, h } from '../lib/dom.js';
import { alertCounts, alertKindLabel, alertShift, mixRows, pValueText, statisticText } from '../lib/alert-text.js';
import { formatAgo, formatNumber, formatTime, shortId } from '../lib/format.js';
import { routeHash } from '../lib/route.js';
import { loading, notice } from '../components/badges.js';
import { errorNotice } from '../components/errors.js';

const KIND_OPTIONS = [
  { value: '', label: 'All kinds' },
  { value: 'outcome_rate', label: 'Outcome rate' },
  { value: 'outcome_mix', label: 'Outcome mix' },
  { value: 'policy_pass_rate', label: 'Policy pass rate' },
  { value: 'confidence_mean', label: 'Mean confidence' },
];

export function renderAlerts(root, route) {
  const controller = new AbortController();
  const type = route.query.type ?? '';
  const kind = route.query.kind ?? '';
  // From a trend card: the alerts of its window (a duration such as 24h, or an instant).
  const since = route.query.since ?? '';
  const typeInput = h('input', { id: 'alert-type', name: 'type', value: type, placeholder: 'all types', autocomplete: 'off', spellcheck: 'false' });
  const kindSelect = h(
    'select',
    { id: 'alert-kind', name: 'kind' },
    KIND_OPTIONS.map((k) => h('option', { value: k.value, selected: k.value === kind }, k.label)),
  );
  const form = h(
    'form',
    { class: 'trend-controls', role: 'search', 'aria-label': 'Alert filters' },
    h('div', { class: 'field' }, h('label', { for: 'alert-type' }, 'Type'), typeInput),
    h('div', { class: 'field' }, h('label', { for: 'alert-kind' }, 'Kind'), kindSelect),
    h('button', { type: 'submit', class: 'button primary' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = routeHash('alerts', { query: { type: typeInput.value.trim(), kind: kindSelect.value, since } });
  });
  kindSelect.addEventListener('change', () => form.requestSubmit());
  const list = h('ol', { class: 'alert-list' });
  const body = h('div', { class: 'alerts-body' }, loading('Loading alerts…'));
  const moreButton = h('button', { type: 'button', class: 'button', id: 'load-more-alerts', hidden: true }, 'Load more');
  root.append(
    h(
      'section',
      { class: 'page' },
      h(
        'header',
        { class: 'page-head' },
        h(
          'div',
          {},
          h('h1', {}, 'Alerts'),
          h(
            'p',
            { class: 'subtitle' },
            'Shifts of a decision type from its baseline, found by the decision_anomaly connector.',
            since ? ` Since ${since}${/^\d/.test(since) && !since.includes('T') ? ' ago' : ''}.` : '',
          ),
        ),
        form,
      ),
      body,
    ),
  );

  let cursor = null;
  const load = (after) => {
    moreButton.disabled = true;
    apiGet(
      '/v1/alerts',
      { type: type || undefined, kind: kind || undefined, since: since || undefined, limit: 50, cursor: after ?? undefined },
      { signal: controller.signal },
    )
      .then((page) => {
        if (after === undefined) {
          clear(body);
          if (page.alerts.length === 0) {
            body.append(
              notice(
                'info',
                'No alerts',
                type || kind || since
                  ? 'No alert matches these filters.'
                  : "Nothing has shifted from its baseline, or no decisions exporter of a logs pipeline stores the decision_anomaly connector's alerts.",
              ),
            );
            return;
          }
          body.append(list, moreButton);
        }
        list.append(...page.alerts.map(alertItem));
        cursor = page.next_cursor;
        moreButton.hidden = cursor === null;
        moreButton.disabled = false;
      })
      .catch((error) => {
        if (error?.status === 404 && after === undefined) {
          clear(body).append(
            notice(
              'info',
              'Alerts are not available on this collector',
              'It does not serve GET /v1/alerts yet (it answered 404). Update the collector to see alerts.',
            ),
          );
        } else {
          clear(body).append(errorNotice(error, 'alerts') ?? '');
        }
      });
  };
  moreButton.addEventListener('click', () => load(cursor));
  load(undefined);
  return () => controller.abort();
}

function alertItem(alert) {
  const shift = alertShift(alert);
  const p = pValueText(alert.p_value);
  const statistic = statisticText(alert);
  const mix = mixRows(alert);
  return h(
    'li',
    { class: `card alert-card direction-${alert.direction ?? 'none'}`, dataset: { alertId: alert.id, type: alert.type } },
    h(
      'div',
      { class: 'alert-head' },
      h(
        'h2',
        {},
        h('a', { href: routeHash('trends', { query: { type: alert.type } }), class: 'alert-type' }, alert.type),
        alert.version ? h('span', { class: 'version' }, alert.version) : null,
      ),
      h('span', { class: 'pill alert-kind' }, alertKindLabel(alert.kind)),
      h(
        'time',
        { class: 'muted small alert-when', datetime: alert.at, title: formatTime(alert.at) },
        `${formatTime(alert.at, { seconds: false })} · ${formatAgo(alert.at)}`,
      ),
    ),
    h(
      'p',
      { class: 'alert-shift' },
      h('span', { class: 'alert-what' }, shift.what),
      ' ',
      h('span', { class: 'num alert-before' }, shift.before),
      h(
        'span',
        { class: `alert-arrow ${alert.direction ?? ''}`, 'aria-label': alert.direction === 'down' ? 'went down to' : 'went up to' },
        ` ${shift.arrow} `,
      ),
      h('span', { class: 'num alert-now' }, shift.now),
    ),
    h(
      'p',
      { class: 'muted small alert-evidence' },
      alertCounts(alert),
      statistic ? ` · ${statistic}` : '',
      p ? ` · ${p}` : '',
      alert.tenant ? ` · tenant ${alert.tenant}` : '',
    ),
    mix.length === 0
      ? null
      : h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'rates alert-mix' },
            h('caption', { class: 'sr-only' }, `Outcome shares of ${alert.type} in the baseline and now`),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Outcome'), h('th', { scope: 'col' }, 'Baseline'), h('th', { scope: 'col' }, 'Now'))),
            h(
              'tbody',
              {},
              mix.map((r) =>
                h(
                  'tr',
                  { class: r.outcome === alert.subject ? 'moved' : null },
                  h('th', { scope: 'row' }, r.outcome),
                  h('td', {}, h('span', { class: 'num' }, r.before), h('span', { class: 'sub' }, ` ${formatNumber(r.baseline)}`)),
                  h('td', {}, h('span', { class: 'num' }, r.now), h('span', { class: 'sub' }, ` ${formatNumber(r.current)}`)),
                ),
              ),
            ),
          ),
        ),
    alert.example_decision_ids.length === 0
      ? null
      : h(
          'div',
          { class: 'alert-examples' },
          h('span', { class: 'label' }, 'Example decisions'),
          h(
            'ul',
            {},
            alert.example_decision_ids.map((id) =>
              h(
                'li',
                {},
                h('a', { class: 'mono example-decision', href: routeHash('detail', { id, query: { tenant: alert.tenant } }), title: id }, shortId(id, 28)),
              ),
            ),
          ),
        ),
  );
}
