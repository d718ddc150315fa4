import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeAgentProvider, runSupportAgent, type AgentTrace } from './helpers/agent-app.js';
import { testCollectorConfig } from './helpers/test-config.js';
import { SqliteDecisionStore, type DecisionAlert } from '@decision-trace/store';

/**
 * The web UI in a real headless Chromium against a real collector: list, filters, live refresh,
 * a decision's detail, its graph, its trace's waterfall, trends, dark mode. Each view leaves a
 * screenshot in test-results/ui/.
 */
const CHROMIUM = '/usr/bin/chromium';
const unavailable = existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed`;
if (unavailable) process.stderr.write(`# skipping the UI browser tests: ${unavailable}\n`);

const SHOTS = join(REPO_ROOT, 'test-results/ui');
const LOANS = 60;
/** 60 loans + 5 decisions of the graph + 2 of the agent. */
const TOTAL = LOANS + 7;

let eventCounter = 0;
function event(id: string, type: string, at: number, fields: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) {
  eventCounter += 1;
  return {
    schema_version: '1.0',
    event_id: `ui-${eventCounter}`,
    event_type: 'decision.outcome',
    decision_id: id,
    decision_type: type,
    tenant_id: 'acme',
    timestamp: new Date(at).toISOString(),
    service_name: 'lending-service',
    payload: { start_time: new Date(at - 420).toISOString(), end_time: new Date(at).toISOString(), ...payload },
    ...fields,
  };
}

/** v1 approves 70% of loans, v2 45%: the shift the trends view should show. */
function loanOutcome(i: number): { version: string; outcome: string } {
  const version = i % 2 === 0 ? 'v1' : 'v2';
  const k = Math.floor(i / 2) % 10;
  if (version === 'v1') return { version, outcome: k < 7 ? 'approved' : k < 9 ? 'denied' : 'escalated' };
  return { version, outcome: k < 4 ? 'approved' : k < 9 ? 'denied' : 'escalated' };
}

function seedEvents(now: number) {
  const events = [];
  for (let i = 0; i < LOANS; i++) {
    const { version, outcome } = loanOutcome(i);
    events.push(
      event(
        `ui-loan-${i}`,
        `loan.approve.${version}`,
        now - 10 * 60_000 - i * 8 * 60_000,
        { actor: { id: `underwriter-${i % 3}`, type: 'agent' } },
        {
          status: outcome,
          confidence: 0.35 + ((i * 37) % 60) / 100,
          evidence: { credit_score: 600 + ((i * 13) % 200), amount: 1000 + i * 250 },
          policy_checks: [{ policy: 'kyc', result: 'pass' }],
        },
      ),
    );
  }
  // A small decision graph around ui-loan-rich:
  //   ui-application ─parent→ ui-loan-rich ─parent→ ui-fraud-check
  //   ui-payout depends_on ui-loan-rich;  ui-payout ─parent→ ui-notify
  const t = now - 5 * 60_000;
  events.push(
    event('ui-application', 'loan.application.v1', t - 3000, {}, { status: 'accepted', confidence: 0.99 }),
    event(
      'ui-loan-rich',
      'loan.approve.v2',
      t - 2000,
      {
        parent_decision_id: 'ui-application',
        actor: { id: 'underwriter-bot', type: 'agent', version: '2.4.1', org: 'risk' },
        violations: [{ rule: 'key_evidence', detail: 'key evidence "income" is missing' }],
        redactions: [{ field: 'decision.evidence.ssn', action: 'hash' }],
      },
      {
        status: 'approved',
        confidence: 0.87,
        evidence: { credit_score: 742, amount: 25000, applicant: { tier: 'gold', years: 6 } },
        policy_checks: [
          { policy: 'kyc', result: 'pass' },
          { policy: 'debt_to_income', result: 'pass', inputs: { ratio: 0.31, max: 0.4 } },
          { policy: 'manual_review_threshold', result: 'fail' },
        ],
        alternatives: ['denied', 'escalated'],
        factors: { risk: 'low', score_weight: 0.6 },
        actions: [{ kind: 'reserve_funds', amount: 25000 }],
        approvals: [{ by: 'maria', role: 'credit officer' }],
      },
    ),
    event('ui-fraud-check', 'fraud.check.v1', t - 1000, { parent_decision_id: 'ui-loan-rich' }, { status: 'clear', confidence: 0.97 }),
    event('ui-payout', 'payout.release.v1', t, { causal_links: [{ type: 'depends_on', target_decision_id: 'ui-loan-rich' }] }, { status: 'released' }),
    event('ui-notify', 'customer.notify.v1', t + 1000, { parent_decision_id: 'ui-payout' }, { status: 'sent' }),
  );
  return events;
}

/**
 * Two alerts on the loans, written to the collector's store file as its decisions exporter
 * writes those of a logs pipeline (test/decision-alerts-e2e.test.ts shows the connector
 * raising one end to end): v2 approves less than v1 did, and v1's confidence fell.
 */
function seedAlerts(now: number): DecisionAlert[] {
  return [
    {
      id: 'ui-alert-v2-approvals',
      tenant: 'acme',
      at: new Date(now - 3 * 60_000).toISOString(),
      type: 'loan.approve',
      version: 'v2',
      kind: 'outcome_rate',
      subject: 'approved',
      direction: 'down',
      message: 'decision anomaly: rate of outcome "approved" of loan.approve v2 went down',
      baseline: { version: 'v1', count: 500, rate: 0.7, mean: null },
      current: { version: null, count: 120, rate: 0.45, mean: null },
      p_value: 0.00002,
      example_decision_ids: ['ui-loan-rich', 'ui-loan-1', 'ui-loan-3'],
    },
    {
      id: 'ui-alert-v2-mix',
      tenant: 'acme',
      at: new Date(now - 10 * 60_000).toISOString(),
      type: 'loan.approve',
      version: 'v2',
      kind: 'outcome_mix',
      subject: 'escalated',
      direction: 'up',
      message: 'decision anomaly: outcome mix of loan.approve v2 shifted ("escalated" went up)',
      baseline: { version: 'v2', count: 400, rate: null, mean: null },
      current: { version: null, count: 200, rate: null, mean: null },
      p_value: 0.0031,
      example_decision_ids: ['ui-loan-5'],
      statistic: 11.52,
      degrees_of_freedom: 2,
      outcome_counts: [
        { outcome: 'approved', baseline: 160, current: 80 },
        { outcome: 'denied', baseline: 228, current: 100 },
        { outcome: 'escalated', baseline: 12, current: 20 },
      ],
    },
    {
      id: 'ui-alert-v1-confidence',
      tenant: 'acme',
      at: new Date(now - 20 * 60_000).toISOString(),
      type: 'loan.approve',
      version: 'v1',
      kind: 'confidence_mean',
      subject: null,
      direction: 'down',
      message: 'decision anomaly: mean confidence of loan.approve v1 went down',
      baseline: { version: 'v1', count: 500, rate: null, mean: 0.81 },
      current: { version: null, count: 64, rate: null, mean: 0.62 },
      p_value: null,
      example_decision_ids: ['ui-loan-0'],
    },
  ];
}

async function post(api: string, events: unknown[]): Promise<void> {
  const res = await fetch(`${api}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
  assert.equal(res.status, 200, await res.text());
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A locator's box once it is laid out. A view can re-render while data arrives (a hash change
 * renders the new view before its fetch answers), so one read may catch the element between
 * renders, when Playwright reports no box.
 */
async function boxOf(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  return until('a laid-out element', async () => (await locator.boundingBox()) ?? undefined);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Run in the page (as source text: tsx would add helpers to a compiled function): what reaches
 * past the viewport's right edge. The page must not scroll sideways, and an element wider than the
 * viewport must sit inside a box that scrolls or clips it within the viewport (a wide table in an
 * overflow-x: auto wrapper is fine).
 */
const OVERFLOW_PROBE = `(() => {
  const width = window.innerWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
  function clipped(el) {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip') && a.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  }
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1 || el.closest('.sr-only, .skip-link')) continue;
    if (!clipped(el)) found.push(el.tagName.toLowerCase() + '.' + String(el.getAttribute('class') || '').replace(/ /g, '.') + ' right edge ' + Math.round(r.right) + ' > ' + width);
  }
  return found.slice(0, 5);
})()`;

const rowTexts = (page: Page) => page.locator('table.decisions tbody tr').allInnerTexts();

describe('web UI in headless Chromium', { skip: unavailable ?? false }, () => {
  let collector: RunningCollector;
  let context: BrowserContext;
  let page: Page;
  let agent: AgentTrace;
  let profile: string;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    collector = await startCollector();
    const now = Date.now();
    await post(collector.apiUrl, seedEvents(now));
    const store = new SqliteDecisionStore(collector.dbPath);
    try {
      await store.appendAlerts(seedAlerts(now));
    } finally {
      await store.close();
    }
    // Nested decisions with LLM, CHAIN and TOOL spans, through the real OTel SDK and OTLP.
    const { provider, tracer } = makeAgentProvider(new OtlpHttpProtoExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }));
    agent = await runSupportAgent(tracer, 'ui');
    await provider.forceFlush();
    await provider.shutdown();
    await until('the agent trace to be stored', async () => {
      const res = await fetch(`${collector.apiUrl}/v1/traces/${agent.traceId}`);
      if (!res.ok) return undefined;
      const body = (await res.json()) as { spans: unknown[]; decisions: unknown[] };
      return body.spans.length === 8 && body.decisions.length === 2 ? true : undefined;
    });

    profile = mkdtempSync(join(tmpdir(), 'dt-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1360, height: 900 },
      colorScheme: 'light',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('request', (req) => {
      if (!req.url().startsWith(collector.apiUrl) && !req.url().startsWith('data:')) foreignRequests.push(req.url());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });

  after(async () => {
    await context?.close();
    await collector?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('the list loads a page, "load more" follows the cursor, and only the API is contacted', async () => {
    await page.goto(`${collector.apiUrl}/`);
    await page.locator('table.decisions tbody tr').first().waitFor();
    assert.equal(await page.title(), 'Decision Trace');
    assert.equal(await page.locator('table.decisions tbody tr').count(), 50);
    // The header's numbers add up: 50 of all 67, and the outcome chips split the 50 shown.
    await page.locator('#list-counts', { hasText: `Showing 50 of ${TOTAL} decisions` }).waitFor();
    const chips = await page.locator('#list-counts .count-chip').allInnerTexts();
    assert.equal(
      chips.reduce((sum, c) => sum + Number(/(\d+)$/.exec(c)![1]), 0),
      50,
      chips.join(', '),
    );
    assert.match(await page.locator('#list-counts').innerText(), /Of those shown:/);
    await shot(page, 'list');
    await page.click('#load-more');
    await page.waitForFunction((n) => document.querySelectorAll('table.decisions tbody tr').length === n, TOTAL);
    assert.equal(await page.locator('#load-more').isHidden(), true);
    assert.match(await page.locator('#list-counts .count-main').innerText(), new RegExp(`^All ${TOTAL} decisions$`));
    const ids = await page.locator('table.decisions tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    assert.equal(new Set(ids).size, TOTAL, 'no row twice');
    assert.deepEqual(foreignRequests, []);
  });

  test('filters change the rows and are kept in the URL', async () => {
    await page.fill('#filter-type', 'loan.approve');
    await page.fill('#filter-outcome', 'denied');
    await page.click('#apply-filters');
    await page.waitForFunction(() => location.hash.includes('outcome=denied'));
    await page.waitForFunction(() => document.querySelectorAll('table.decisions tbody tr').length > 0 && !document.querySelector('.loading'));
    const rows = await rowTexts(page);
    const expected = Array.from({ length: LOANS }, (_, i) => loanOutcome(i)).filter((l) => l.outcome === 'denied').length;
    assert.equal(rows.length, expected);
    assert.ok(
      rows.every((r) => r.includes('loan.approve') && r.includes('denied')),
      rows.join('\n'),
    );
    // Reloading the URL keeps the filter.
    await page.reload();
    await page.locator('table.decisions tbody tr').first().waitFor();
    assert.equal(await page.inputValue('#filter-outcome'), 'denied');
    assert.equal((await rowTexts(page)).length, expected);
    assert.equal(await page.locator('#list-counts .count-main').innerText(), `All ${expected} decisions matching the filters`);
    await shot(page, 'list-filtered');

    // The filters added for #8: violations, confidence range, actor.
    await page.click('#reset-filters');
    await page.waitForFunction(() => location.hash === '#/decisions');
    await page.selectOption('#filter-has_violations', 'true');
    await page.click('#apply-filters');
    await page.waitForFunction(() => location.hash.includes('has_violations=true'));
    await page.waitForFunction(() => document.querySelectorAll('table.decisions tbody tr').length === 1);
    assert.equal(await page.locator('table.decisions tbody tr').getAttribute('data-id'), 'ui-loan-rich');
    await page.selectOption('#filter-has_violations', '');
    await page.fill('#filter-min_confidence', '0.9');
    await page.fill('#filter-actor_id', 'underwriter-1');
    await page.click('#apply-filters');
    await page.waitForFunction(() => location.hash.includes('min_confidence=0.9'));
    await page.waitForFunction(() => !document.querySelector('.loading') && document.querySelectorAll('table.decisions tbody tr').length > 0);
    const confident = await page.locator('table.decisions tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
    assert.ok(confident.length > 0 && confident.length < 20);
    for (const text of confident) {
      assert.match(text, /underwriter-1/);
      assert.ok(Number(/(\d\.\d\d)/.exec(text)![1]) >= 0.9, text);
    }

    await page.click('#reset-filters');
    await page.waitForFunction(() => location.hash === '#/decisions');
    await page.waitForFunction(() => document.querySelectorAll('table.decisions tbody tr').length === 50);
  });

  test('live refresh shows a decision posted after the page loaded', async () => {
    await page.click('label[for="live-toggle"]');
    assert.equal(await page.isChecked('#live-toggle'), true);
    await post(collector.apiUrl, [event('ui-live-arrival', 'loan.approve.v2', Date.now(), {}, { status: 'escalated', confidence: 0.5 })]);
    await page.locator('tr[data-id="ui-live-arrival"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('table.decisions tbody tr').count(), 51);
    await page.locator('#list-counts', { hasText: `Showing 51 of ${TOTAL + 1} decisions` }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('tr[data-id="ui-live-arrival"]').evaluate((tr) => tr.parentElement!.firstElementChild === tr), true, 'on top');
    await page.click('label[for="live-toggle"]');
    assert.equal(await page.isChecked('#live-toggle'), false);
  });

  test('a decision shows its evidence, policy checks, actions, violations, redactions and relations', async () => {
    await page.goto(`${collector.apiUrl}/#/decisions?type=loan.approve&version=v2`);
    await page.locator('tr[data-id="ui-loan-rich"]').click();
    await page.waitForFunction(() => location.hash.startsWith('#/decisions/ui-loan-rich'));
    const evidence = page.locator('#section-evidence');
    await evidence.waitFor();
    assert.match(await evidence.innerText(), /credit_score\s+742/);
    assert.match(await evidence.innerText(), /"tier": "gold"/);
    const checks = await page.locator('#section-policy-checks .check').allInnerTexts();
    assert.deepEqual(
      checks.map((c) => c.replace(/\s+/g, ' ').trim()),
      ['✓ kyc pass', '✓ debt_to_income pass inputs', '✕ manual_review_threshold fail'],
    );
    assert.match(await page.locator('.detail-head').innerText(), /loan\.approve\s*v2[\s\S]*approved[\s\S]*0\.87/);
    assert.match(await page.locator('#section-alternatives').innerText(), /denied[\s\S]*escalated/);
    assert.match(await page.locator('#section-actions').innerText(), /reserve_funds/);
    assert.match(await page.locator('#section-approvals').innerText(), /maria/);
    assert.match(await page.locator('#section-violations').innerText(), /key_evidence.*income/);
    assert.match(await page.locator('#section-redactions').innerText(), /decision\.evidence\.ssn\s+hash/);
    const related = await page.locator('#section-related').innerText();
    assert.match(related, /PARENT\s+loan\.application/i);
    assert.match(related, /CHILD\s+fraud\.check/i);
    assert.match(related, /DEPENDS ON THIS\s+payout\.release/i);
    await shot(page, 'detail');
  });

  test('the graph draws every node and edge; clicking a node opens that decision', async () => {
    await page.click('#open-graph');
    await page.locator('svg.graph').waitFor();
    const graph = (await (await fetch(`${collector.apiUrl}/v1/decisions/ui-loan-rich/graph`)).json()) as { nodes: unknown[]; edges: unknown[] };
    assert.equal(graph.nodes.length, 5);
    assert.equal(await page.locator('svg.graph g.node').count(), 5);
    assert.equal(await page.locator('svg.graph g.edge').count(), graph.edges.length);
    assert.deepEqual((await page.locator('svg.graph .edge-label').allTextContents()).sort(), ['depends on', 'parent of', 'parent of', 'parent of']);
    assert.equal(await page.locator('svg.graph g.node.root').getAttribute('data-id'), 'ui-loan-rich');
    // Parents above children: the application's box is higher than the fraud check's.
    const y = async (id: string) => (await page.locator(`g.node[data-id="${id}"]`).boundingBox())!.y;
    assert.ok((await y('ui-application')) < (await y('ui-loan-rich')));
    assert.ok((await y('ui-loan-rich')) < (await y('ui-fraud-check')));
    await shot(page, 'graph');
    await page.locator('g.node[data-id="ui-fraud-check"]').click();
    await page.waitForFunction(() => location.hash.startsWith('#/decisions/ui-fraud-check'));
    await page.locator('.detail-head').waitFor();
    assert.match(await page.locator('.detail-head h1').innerText(), /fraud\.check/);
  });

  test('the trace timeline draws a bar per span, coloured by kind, with the decisions marked', async () => {
    await page.goto(`${collector.apiUrl}/#/decisions/${agent.answerId}`);
    await page.click('#open-timeline');
    await page.locator('.waterfall').waitFor();
    await shot(page, 'timeline');
    assert.equal(await page.locator('.wf-span').count(), 8);
    assert.equal(await page.locator('.wf-bar').count(), 8);
    assert.equal(await page.locator('.wf-bar.kind-llm').count(), 3);
    assert.equal(await page.locator('.wf-bar.kind-tool').count(), 1);
    assert.equal(await page.locator('.wf-bar.kind-chain').count(), 1);
    assert.equal(await page.locator('.wf-name .decision-marker').count(), 2);
    assert.equal(await page.locator('.wf-span.focused').count(), 1, 'the decision we came from is highlighted');
    // The axis runs from the earliest start to the latest end: bars touch both ends, none leaves it.
    const track = (await page.locator('.wf-span').first().locator('.wf-track').boundingBox())!;
    const bars = (await Promise.all((await page.locator('.wf-bar').all()).map((b) => b.boundingBox()))).map((b) => b!);
    assert.ok(Math.abs(Math.min(...bars.map((b) => b.x)) - track.x) <= 1, 'earliest start at the left edge');
    assert.ok(Math.abs(Math.max(...bars.map((b) => b.x + b.width)) - (track.x + track.width)) <= 1, 'latest end at the right edge');
    for (const box of bars) assert.ok(box.x >= track.x - 1 && box.x + box.width <= track.x + track.width + 1);
    assert.match(await page.locator('.wf-span.has-error .wf-label').innerText(), /execute_tool lookup_order/);
    await page.locator('.wf-span', { hasText: 'chat gpt-4o-mini' }).locator('.wf-toggle').click();
    assert.match(await page.locator('.wf-span', { hasText: 'chat gpt-4o-mini' }).locator('.wf-details').innerText(), /gpt-4o-mini[\s\S]*100 in · 10 out/);
    await shot(page, 'timeline-details');
  });

  test('trends chart outcome rates per type and version (or say /v1/stats is missing)', async () => {
    const stats = await fetch(`${collector.apiUrl}/v1/stats?since=24h`);
    await page.goto(`${collector.apiUrl}/#/trends?type=loan.approve`);
    if (stats.status === 404) {
      await page.locator('.notice').waitFor();
      assert.match(await page.locator('.notice').innerText(), /GET \/v1\/stats/);
    } else {
      assert.equal(stats.status, 200);
      const card = page.locator('.trend-card[data-type="loan.approve"]');
      await card.waitFor();
      assert.deepEqual(await card.locator('figcaption .version').allTextContents(), ['v1', 'v2']);
      assert.equal(await card.locator('svg.chart').count(), 2);
      assert.ok((await card.locator('.series-line').count()) >= 4);
      const rates = await card.locator('table.rates tbody tr').allInnerTexts();
      // 21 of 30 v1 loans are approved.
      assert.match(rates[0], /v1\s+70\.0%/);
    }
    await shot(page, 'trends');
  });

  test('dark mode: the toggle switches the palette and is remembered', async () => {
    await page.goto(`${collector.apiUrl}/#/decisions`);
    await page.locator('table.decisions tbody tr').first().waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    const dark = await background();
    assert.notEqual(dark, light);
    const [r, g, b] = dark.match(/\d+/g)!.map(Number);
    assert.ok(r + g + b < 120, `dark background ${dark}`);
    await shot(page, 'dark-list');
    await page.reload();
    await page.locator('table.decisions tbody tr').first().waitFor();
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'kept across reloads');
    await page.goto(`${collector.apiUrl}/#/decisions/ui-loan-rich/graph`);
    await page.locator('svg.graph').waitFor();
    await shot(page, 'dark-graph');
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreignRequests, []);
  });

  test('trends: a type with a single decision shows its point as a dot with its value; overlapping outcomes stay apart', async () => {
    await post(collector.apiUrl, [event('ui-solo', 'solo.check.v1', Date.now() - 60_000, {}, { status: 'passed', confidence: 0.8 })]);
    await page.goto(`${collector.apiUrl}/#/trends?type=solo.check`);
    const card = page.locator('.trend-card[data-type="solo.check"]');
    await card.waitFor();
    const point = card.locator('svg.chart .series-point');
    assert.equal(await point.count(), 1);
    const box = await boxOf(point);
    assert.ok(box.width >= 6 && box.height >= 6, `the lone point is a visible dot (${box.width}×${box.height})`);
    assert.match((await card.locator('.series-value').textContent()) ?? '', /^100% passed$/);
    // The chart fills its card: with one version, the figure takes the card's whole width.
    const cardBox = await boxOf(card);
    const chartBox = await boxOf(card.locator('svg.chart'));
    assert.ok(chartBox.width >= cardBox.width - 80, `chart ${chartBox.width} px in a ${cardBox.width} px card`);
    // Its label stays inside the chart.
    const labelBox = await boxOf(card.locator('.series-value'));
    assert.ok(labelBox.x >= chartBox.x && labelBox.x + labelBox.width <= chartBox.x + chartBox.width + 1, 'the value label stays inside the chart');
    await shot(page, 'trends-single-point');

    // loan.approve: its outcomes' lines each have their own dash pattern and marker shape, named in the legend.
    await page.goto(`${collector.apiUrl}/#/trends?type=loan.approve`);
    const loans = page.locator('.trend-card[data-type="loan.approve"]');
    await loans.waitFor();
    const styles = await loans
      .locator('svg.chart')
      .first()
      .locator('g.series')
      .evaluateAll((groups) =>
        groups.map((g) => `${g.querySelector('.series-line')?.getAttribute('stroke-dasharray') ?? 'solid'}|${g.querySelector('.series-point')?.tagName}`),
      );
    assert.ok(styles.length >= 3);
    assert.equal(new Set(styles).size, styles.length, `distinct line styles: ${styles.join(', ')}`);
    assert.equal(await loans.locator('.legend svg.legend-sample').count(), styles.length);
  });

  test('alerts: listed newest first with what moved and its evidence; an example decision opens its page', async () => {
    await page.goto(`${collector.apiUrl}/#/decisions`);
    await page.locator('table.decisions tbody tr').first().waitFor();
    await page.locator('.mainnav a[data-nav="alerts"]').click();
    await page.waitForFunction(() => location.hash === '#/alerts');
    const cards = page.locator('.alert-card');
    await cards.first().waitFor();
    assert.equal(await page.getAttribute('.mainnav a[data-nav="alerts"]', 'aria-current'), 'page');
    assert.deepEqual(await cards.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.alertId)), [
      'ui-alert-v2-approvals',
      'ui-alert-v2-mix',
      'ui-alert-v1-confidence',
    ]);
    const first = cards.nth(0);
    assert.match(await first.locator('.alert-head').innerText(), /loan\.approve\s*v2[\s\S]*Outcome rate[\s\S]*min ago/);
    assert.equal((await first.locator('.alert-shift').innerText()).replace(/\s+/g, ' ').trim(), 'approved 70.0% ↓ 45.0%');
    assert.match(await first.locator('.alert-evidence').innerText(), /baseline \(v1\): 500 · since the shift: 120 · p < 0\.0001 · tenant acme/);
    const mix = cards.nth(1);
    assert.equal((await mix.locator('.alert-shift').innerText()).replace(/\s+/g, ' ').trim(), 'outcome mix: escalated 3.0% ↑ 10.0%');
    assert.match(await mix.locator('.alert-evidence').innerText(), /χ² = 11\.5, 2 df · p = 0\.0031/);
    assert.deepEqual(
      (await mix.locator('table.alert-mix tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim()),
      ['approved 40.0% 160 40.0% 80', 'denied 57.0% 228 50.0% 100', 'escalated 3.0% 12 10.0% 20'],
    );
    assert.equal((await cards.nth(2).locator('.alert-shift').innerText()).replace(/\s+/g, ' ').trim(), 'mean confidence 0.81 ↓ 0.62');
    assert.deepEqual(await first.locator('a.example-decision').allInnerTexts(), ['ui-loan-rich', 'ui-loan-1', 'ui-loan-3']);
    await shot(page, 'alerts');

    await first.locator('a.example-decision', { hasText: 'ui-loan-rich' }).click();
    await page.waitForFunction(() => location.hash.startsWith('#/decisions/ui-loan-rich'));
    await page.locator('#section-evidence').waitFor();
    assert.match(await page.locator('.detail-head').innerText(), /loan\.approve\s*v2[\s\S]*approved/);

    // Filtered by kind: only the confidence alert.
    await page.goto(`${collector.apiUrl}/#/alerts?kind=confidence_mean`);
    await page.locator('.alert-card').first().waitFor();
    assert.deepEqual(await page.locator('.alert-card').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.alertId)), ['ui-alert-v1-confidence']);
    await page.goto(`${collector.apiUrl}/#/alerts?type=payout.release`);
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.notice').innerText(), /No alerts/);
    assert.deepEqual(pageErrors, []);
  });

  test('a trend card says its type has alerts and links to them', async () => {
    await page.goto(`${collector.apiUrl}/#/trends`);
    const loans = page.locator('.trend-card[data-type="loan.approve"]');
    await loans.locator('svg.chart').first().waitFor();
    assert.equal(await loans.locator('a.alert-link').innerText(), '3 alerts');
    assert.equal(await page.locator('.trend-card[data-type="loan.application"] a.alert-link').count(), 0);
    await loans.locator('a.alert-link').click();
    await page.waitForFunction(() => location.hash === '#/alerts?type=loan.approve&since=24h');
    assert.match(await page.locator('.page-head .subtitle').innerText(), /Since 24h ago\./);
    await page.locator('.alert-card').first().waitFor();
    assert.equal(await page.locator('.alert-card').count(), 3);
  });

  test('every view fits a 390 px phone and a 1280 px desktop, light and dark, without horizontal overflow', async () => {
    const views: Array<{ name: string; hash: string; ready: string }> = [
      { name: 'list', hash: '#/decisions?type=loan.approve&min_confidence=0.5', ready: 'table.decisions tbody tr' },
      { name: 'detail', hash: '#/decisions/ui-loan-rich', ready: '#section-evidence' },
      { name: 'graph', hash: '#/decisions/ui-loan-rich/graph', ready: 'svg.graph' },
      { name: 'timeline', hash: `#/traces/${agent.traceId}?decision=${encodeURIComponent(agent.answerId)}`, ready: '.waterfall' },
      { name: 'trends', hash: '#/trends?type=loan.approve', ready: '.trend-card svg.chart' },
      { name: 'alerts', hash: '#/alerts', ready: '.alert-card' },
    ];
    const widths = [
      { label: 'phone', width: 390, height: 844 },
      { label: 'desktop', width: 1280, height: 800 },
    ];
    const problems: string[] = [];
    for (const theme of ['light', 'dark']) {
      // Hash navigation does not reload the page: set the theme as the toggle would and reload once.
      await page.evaluate((t) => localStorage.setItem('decision-trace.theme', t), theme);
      await page.reload();
      for (const size of widths) {
        await page.setViewportSize({ width: size.width, height: size.height });
        for (const view of views) {
          await page.goto(`${collector.apiUrl}/${view.hash}`);
          await page.locator(view.ready).first().waitFor({ timeout: 20_000 });
          await page.waitForFunction(() => !document.querySelector('.loading'), undefined, { timeout: 20_000 });
          assert.equal(await page.getAttribute('html', 'data-theme'), theme);
          const overflow = (await page.evaluate(OVERFLOW_PROBE)) as string[];
          for (const p of overflow) problems.push(`${view.name} ${size.label} ${theme}: ${p}`);
          await shot(page, `${view.name}-${size.label}-${theme}`);
        }
      }
    }
    await page.evaluate(() => localStorage.removeItem('decision-trace.theme'));
    await page.setViewportSize({ width: 1360, height: 900 });
    assert.deepEqual(problems, []);
    assert.deepEqual(pageErrors, []);
  });

  test('an integer beyond 2^53 is shown with all its digits, a 250 µs decision as 0.25 ms', async () => {
    // Hand-written JSON: 9007199254740993 (2^53 + 1) must reach the collector and the page exactly.
    const at = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    const body = `[
      {"event_id": "ui-big-1", "decision_id": "ui-big-int", "decision_type": "ledger.post.v1", "event_type": "decision.start", "timestamp": "${at}.123456Z"},
      {"event_id": "ui-big-2", "decision_id": "ui-big-int", "event_type": "decision.evidence", "timestamp": "${at}.123456Z",
       "payload": {"key": "account", "value": 9007199254740993}},
      {"event_id": "ui-big-3", "decision_id": "ui-big-int", "event_type": "decision.evidence", "timestamp": "${at}.123456Z",
       "payload": {"key": "transfer", "value": {"ledger": 9007199254740993}}},
      {"event_id": "ui-big-4", "decision_id": "ui-big-int", "event_type": "decision.outcome", "timestamp": "${at}.123706Z",
       "payload": {"status": "posted"}}
    ]`;
    const res = await fetch(`${collector.apiUrl}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(res.status, 200, await res.text());
    await page.goto(`${collector.apiUrl}/#/decisions/ui-big-int`);
    const evidence = page.locator('#section-evidence');
    await evidence.waitFor();
    assert.match(await evidence.innerText(), /account\s+9007199254740993/);
    assert.match(await evidence.innerText(), /"ledger": 9007199254740993/);
    assert.match(await page.locator('.detail-head').innerText(), /0\.25 ms/);
    assert.deepEqual(pageErrors, []);
  });

  test('a trace id as the Decision Trace SDKs write it (a UUID) opens its timeline from a decision', async () => {
    const traceId = '3f2b8c1e-7a4d-4e0f-9b6a-2c5d8e1f0a3b';
    const sdkEvent = (decisionId: string, eventType: string, payload: Record<string, unknown>, parent: string | null = null) => ({
      tenant_id: 'acme',
      environment: 'prod',
      schema_version: '1.0',
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      decision_id: decisionId,
      parent_decision_id: parent,
      event_id: `${decisionId}-${eventType}`,
      event_type: eventType,
      decision_type: 'ui.uuid.check',
      actor: { id: 'sdk', type: 'agent' },
      payload,
    });
    await post(collector.apiUrl, [
      sdkEvent('ui-uuid-parent', 'decision.outcome', { status: 'approved' }),
      sdkEvent('ui-uuid-child', 'decision.outcome', { status: 'sent' }, 'ui-uuid-parent'),
    ]);
    await page.goto(`${collector.apiUrl}/#/decisions/ui-uuid-child?tenant=acme`);
    await page.click('#open-timeline');
    await page.locator('#trace-decisions').waitFor();
    assert.equal(await page.locator('.page-head .subtitle').innerText(), traceId);
    assert.equal(await page.locator('#trace-decisions + ul.related-list li').count(), 2);
    assert.deepEqual(pageErrors, []);
  });
});

describe('web UI against a decision API with API keys', { skip: unavailable ?? false }, () => {
  const READ_KEY = 'ui-test-read-key-0123456789';
  const WRITE_KEY = 'ui-test-write-key-0123456789';
  let collector: RunningCollector;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const apiAuthHeaders: Array<string | undefined> = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    collector = await startCollector({
      config: (p) =>
        testCollectorConfig(p, {
          extensions: {
            decision_api: {
              auth: {
                api_keys: [
                  { name: 'ui-reader', key: READ_KEY, tenant: 'acme', role: 'read' },
                  { name: 'ui-writer', key: WRITE_KEY, tenant: 'acme', role: 'write' },
                ],
              },
            },
          },
        }),
    });
    const res = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${WRITE_KEY}` },
      body: JSON.stringify([event('ui-secured', 'loan.approve.v2', Date.now(), {}, { status: 'approved', confidence: 0.9 })]),
    });
    assert.equal(res.status, 200, await res.text());
    profile = mkdtempSync(join(tmpdir(), 'dt-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1360, height: 760 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/v1/decisions') apiAuthHeaders.push(req.headers().authorization);
    });
  });

  after(async () => {
    await context?.close();
    await collector?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('the page loads without a key, asks for one on 401, and sends it as a Bearer header', async () => {
    const index = await page.goto(`${collector.apiUrl}/`);
    assert.equal(index!.status(), 200, 'static files need no key');
    const dialog = page.locator('dialog.key-dialog');
    await dialog.waitFor();
    assert.equal(apiAuthHeaders[0], undefined, 'first try without a key');
    await shot(page, 'api-key');

    await page.fill('#api-key-input', 'not-the-right-key-at-all');
    await page.click('dialog.key-dialog button[type=submit]');
    await page.locator('dialog.key-dialog', { hasText: 'did not accept' }).waitFor();
    await page.fill('#api-key-input', READ_KEY);
    await page.click('dialog.key-dialog button[type=submit]');
    await page.locator('tr[data-id="ui-secured"]').waitFor();
    assert.equal(apiAuthHeaders.at(-1), `Bearer ${READ_KEY}`);
    assert.ok(apiAuthHeaders.includes('Bearer not-the-right-key-at-all'));
    assert.equal(await page.evaluate(() => sessionStorage.getItem('decision-trace.api-key')), READ_KEY);

    // The key is kept for the tab: opening the decision needs no second prompt.
    await page.locator('tr[data-id="ui-secured"] a').click();
    await page.locator('#section-evidence').waitFor();
    assert.equal(await dialog.count(), 0);

    // Forgetting it brings the prompt back; cancelling says a key is needed.
    await page.click('#forget-key');
    await dialog.waitFor();
    await page.click('dialog.key-dialog button[value=cancel]');
    await page.locator('.notice', { hasText: 'API key' }).waitFor();
  });
});
