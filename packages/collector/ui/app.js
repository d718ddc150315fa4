// Entry point: hash routing between the views, the theme toggle and the API key button.
import { forgetApiKey, storedApiKey } from './lib/api.js';
import { parseRoute } from './lib/route.js';
import { initTheme } from './components/theme.js';
import { renderList } from './views/list.js';
import { renderDetail } from './views/detail.js';
import { renderGraph } from './views/graph.js';
import { renderTimeline } from './views/timeline.js';
import { renderTrends } from './views/trends.js';
import { renderAlerts } from './views/alerts.js';

const VIEWS = { list: renderList, detail: renderDetail, graph: renderGraph, timeline: renderTimeline, trends: renderTrends, alerts: renderAlerts };
/** The navigation entry each view belongs to. */
const NAV_OF = { trends: 'trends', alerts: 'alerts' };
const main = document.getElementById('main');
let cleanup = null;

function show() {
  const route = parseRoute(location.hash);
  cleanup?.();
  cleanup = null;
  main.replaceChildren();
  main.dataset.view = route.view;
  for (const link of document.querySelectorAll('[data-nav]')) {
    const active = link.dataset.nav === (NAV_OF[route.view] ?? 'list');
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // A view returns its cleanup (timers, pending requests) to run when the route changes.
  cleanup = VIEWS[route.view](main, route) ?? null;
}

function syncKeyButton() {
  document.getElementById('forget-key').hidden = storedApiKey() === null;
}

initTheme(document.getElementById('theme-toggle'));
document.getElementById('forget-key').addEventListener('click', () => {
  forgetApiKey();
  show();
});
document.addEventListener('dt:api-key', syncKeyButton);
syncKeyButton();
window.addEventListener('hashchange', () => {
  show();
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
});
if (location.hash === '') history.replaceState(null, '', '#/decisions');
show();
