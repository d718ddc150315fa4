import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';
import { SqliteDecisionStore, type DecisionAlert } from '@decision-trace/store';

/**
 * decision_api.auth: API keys with roles and tenants. A key of tenant alpha sees nothing of
 * tenant beta on any route, whatever the filter; every read is audited.
 */

const KEYS = {
  readAlpha: 'read-alpha-0123456789',
  readBeta: 'read-beta-0123456789',
  writeAlpha: 'write-alpha-0123456789',
  admin: 'admin-key-from-the-env-0123456789',
};
process.env.DT_TEST_ADMIN_KEY = KEYS.admin;

const TRACE_SHARED = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const TRACE_BETA = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

function authConfig(p: { http: number; grpc: number; api: number; dbPath: string }): string {
  return testCollectorConfig(p, {
    extensions: {
      decision_api: {
        auth: {
          api_keys: [
            { name: 'reader-alpha', key: KEYS.readAlpha, tenant: 'alpha', role: 'read' },
            { name: 'reader-beta', key: KEYS.readBeta, tenant: 'beta', role: 'read' },
            { name: 'writer-alpha', key: KEYS.writeAlpha, tenant: 'alpha', role: 'write' },
            { name: 'ops', key: '${env:DT_TEST_ADMIN_KEY}', role: 'admin' },
          ],
        },
      },
    },
  });
}

interface Spec {
  tenant: string;
  id: string;
  version: string;
  outcome: string;
  trace?: string;
  parent?: string;
  dependsOn?: string;
  evidence?: Record<string, unknown>;
  confidence?: number;
  violations?: boolean;
  at: string;
}

/** Two canonical events per decision: its start and its outcome. */
function decisionEvents(s: Spec): unknown[] {
  const common = {
    tenant_id: s.tenant,
    decision_id: s.id,
    decision_type: `loan.approve.${s.version}`,
    trace_id: s.trace ?? null,
    parent_decision_id: s.parent ?? null,
    actor: { id: `${s.tenant}-bot`, type: 'agent' },
    service_name: `${s.tenant}-service`,
  };
  const evidence = Object.entries(s.evidence ?? {}).map(([key, value], i) => ({
    ...common,
    event_id: `${s.tenant}-${s.id}-ev${i}`,
    event_type: 'decision.evidence',
    timestamp: s.at,
    payload: { key, value },
  }));
  return [
    {
      ...common,
      event_id: `${s.tenant}-${s.id}-start`,
      event_type: 'decision.start',
      timestamp: s.at,
      payload: {},
      causal_links: s.dependsOn ? [{ type: 'depends_on', target_decision_id: s.dependsOn }] : null,
    },
    ...evidence,
    {
      ...common,
      event_id: `${s.tenant}-${s.id}-outcome`,
      event_type: 'decision.outcome',
      timestamp: s.at,
      payload: { status: s.outcome, confidence: s.confidence ?? 0.5 },
      violations: s.violations ? [{ rule: 'limit', detail: 'over the limit' }] : null,
    },
  ];
}

const now = Date.now();
const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();

const ALPHA: Spec[] = [
  { tenant: 'alpha', id: 'a-1', version: 'v1', outcome: 'approved', trace: TRACE_SHARED, evidence: { region: 'eu' }, confidence: 0.9, at: ago(10) },
  { tenant: 'alpha', id: 'a-2', version: 'v2', outcome: 'approved', trace: TRACE_SHARED, parent: 'a-1', dependsOn: 'b-1', at: ago(9) },
  { tenant: 'alpha', id: 'shared-id', version: 'v1', outcome: 'review', at: ago(8) },
];
const BETA: Spec[] = [
  {
    tenant: 'beta',
    id: 'b-1',
    version: 'v1',
    outcome: 'denied',
    trace: TRACE_SHARED,
    evidence: { region: 'us' },
    confidence: 0.2,
    violations: true,
    at: ago(7),
  },
  { tenant: 'beta', id: 'b-2', version: 'v2', outcome: 'denied', trace: TRACE_BETA, parent: 'a-1', at: ago(6) },
  { tenant: 'beta', id: 'shared-id', version: 'v1', outcome: 'denied', at: ago(5) },
];
const ALPHA_IDS = new Set(ALPHA.map((s) => s.id));

type Body = Record<string, any>;

describe('decision API auth: keys, roles and tenant isolation', () => {
  let collector: RunningCollector;

  async function call(path: string, key: string | undefined, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Body }> {
    const headers = new Headers(init.headers);
    if (key !== undefined) headers.set('authorization', `Bearer ${key}`);
    const res = await fetch(`${collector.apiUrl}${path}`, { ...init, headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Body) };
  }

  const get = (path: string, key: string | undefined) => call(path, key);
  const post = (events: unknown[], key: string | undefined) =>
    call('/v1/events', key, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });

  before(async () => {
    collector = await startCollector({ config: authConfig });
    const stored = await post([...ALPHA, ...BETA].flatMap(decisionEvents), KEYS.admin);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
  });
  after(async () => {
    await collector.stop();
  });

  const READ_ROUTES = [
    '/v1/decisions',
    '/v1/decisions/a-1',
    '/v1/decisions/a-1/graph',
    `/v1/traces/${TRACE_SHARED}`,
    '/v1/stats',
    '/v1/drift?type=loan.approve&a.version=v1&b.version=v2',
    '/v1/ledger/verify',
    '/v1/alerts',
    '/v1/alerts/alert-alpha',
    '/v1/audit',
  ];

  test('401 with a Bearer challenge without a key, with an unknown key or another scheme, on every route', async () => {
    for (const path of [...READ_ROUTES, '/v1/nothing']) {
      const missing = await get(path, undefined);
      assert.equal(missing.status, 401, path);
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/, path);
      assert.match(String(missing.body.error), /missing API key/);
      const unknown = await get(path, 'not-a-key-of-this-api-at-all');
      assert.equal(unknown.status, 401, path);
      assert.match(unknown.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      const basic = await call(path, undefined, { headers: { authorization: `Basic ${Buffer.from(`x:${KEYS.admin}`).toString('base64')}` } });
      assert.equal(basic.status, 401, path);
    }
    const unauthenticatedPost = await post(decisionEvents({ ...ALPHA[0], id: 'sneaky' }), undefined);
    assert.equal(unauthenticatedPost.status, 401);
    assert.equal((await get('/v1/decisions/sneaky', KEYS.admin)).status, 404, 'nothing stored without a key');
  });

  test('X-API-Key works like a bearer token', async () => {
    const res = await call('/v1/decisions', undefined, { headers: { 'x-api-key': KEYS.readAlpha } });
    assert.equal(res.status, 200);
    assert.ok(res.body.decisions.length > 0);
  });

  test('403 for a write key on every GET, a read key on POST and a read key on the audit log', async () => {
    for (const path of READ_ROUTES) {
      const res = await get(path, KEYS.writeAlpha);
      assert.equal(res.status, 403, path);
      assert.match(String(res.body.error), /role write/);
    }
    const readPost = await post(decisionEvents({ ...ALPHA[0], id: 'by-reader' }), KEYS.readAlpha);
    assert.equal(readPost.status, 403);
    assert.equal((await get('/v1/decisions/by-reader', KEYS.admin)).status, 404);
    assert.equal((await get('/v1/audit', KEYS.readAlpha)).status, 403);
  });

  test('a read key of alpha lists only alpha, whatever the filter; asking for beta is a 403', async () => {
    const filters = [
      '',
      'type=loan.approve',
      'type=loan.approve.v1',
      `trace_id=${TRACE_SHARED}`,
      'outcome=denied',
      'evidence=region%3Dus',
      'has_violations=true',
      'max_confidence=0.3',
      'actor_id=beta-bot',
      'service=beta-service',
      'tenant=alpha',
      'tenant=',
    ];
    for (const filter of filters) {
      const res = await get(`/v1/decisions?${filter}`, KEYS.readAlpha);
      assert.equal(res.status, 200, filter);
      for (const d of res.body.decisions) {
        assert.equal(d.tenant, 'alpha', filter);
        assert.ok(ALPHA_IDS.has(d.id), filter);
      }
    }
    const all = await get('/v1/decisions', KEYS.readAlpha);
    assert.deepEqual(all.body.decisions.map((d: Body) => d.id).sort(), [...ALPHA_IDS].sort());
    const shared = await get(`/v1/decisions?trace_id=${TRACE_SHARED}`, KEYS.readAlpha);
    assert.deepEqual(shared.body.decisions.map((d: Body) => d.id).sort(), ['a-1', 'a-2']);

    for (const filter of ['tenant=beta', 'tenant=beta&type=loan.approve', 'tenant=alpha&tenant=beta']) {
      const res = await get(`/v1/decisions?${filter}`, KEYS.readAlpha);
      assert.equal(res.status, 403, filter);
      assert.match(String(res.body.error), /may not read tenant "beta"/);
    }
  });

  test("a decision, its graph and its trace: only the key tenant's; another tenant's id is a 404", async () => {
    assert.equal((await get('/v1/decisions/b-1', KEYS.readAlpha)).status, 404);
    assert.equal((await get('/v1/decisions/b-2', KEYS.readAlpha)).status, 404);
    assert.equal((await get('/v1/decisions/b-1?tenant=beta', KEYS.readAlpha)).status, 403);
    const shared = await get('/v1/decisions/shared-id', KEYS.readAlpha);
    assert.equal(shared.status, 200, 'no 409: the key sees one tenant only');
    assert.equal(shared.body.tenant, 'alpha');
    assert.equal(shared.body.outcome, 'review');
    assert.ok(shared.body.events.every((e: Body) => e.tenant_id === 'alpha'));

    // a-2 depends on "b-1", an id only beta holds, and beta's b-2 names a-1 as its parent.
    const graph = await get('/v1/decisions/a-1/graph?depth=5', KEYS.readAlpha);
    assert.equal(graph.status, 200);
    assert.equal(graph.body.tenant, 'alpha');
    const nodes = new Map<string, Body>(graph.body.nodes.map((n: Body) => [n.id, n]));
    assert.deepEqual([...nodes.keys()].sort(), ['a-1', 'a-2', 'b-1']);
    assert.equal(nodes.get('b-1')!.missing, true, "beta's b-1 is not shown, only the link target's id");
    assert.equal(nodes.get('b-1')!.outcome ?? null, null);
    assert.equal((await get('/v1/decisions/b-1/graph', KEYS.readAlpha)).status, 404);
    assert.equal((await get('/v1/decisions/a-1/graph?tenant=beta', KEYS.readAlpha)).status, 403);

    const trace = await get(`/v1/traces/${TRACE_SHARED}`, KEYS.readAlpha);
    assert.equal(trace.status, 200, 'no 409: the key sees one tenant only');
    assert.equal(trace.body.tenant, 'alpha');
    assert.deepEqual(trace.body.decisions.map((d: Body) => d.id).sort(), ['a-1', 'a-2']);
    assert.equal((await get(`/v1/traces/${TRACE_BETA}`, KEYS.readAlpha)).status, 404);
    assert.equal((await get(`/v1/traces/${TRACE_SHARED}?tenant=beta`, KEYS.readAlpha)).status, 403);
  });

  test("stats, drift and ledger verification count only the key tenant's decisions", async () => {
    const since = `since=${encodeURIComponent(ago(60))}`;
    const stats = await get(`/v1/stats?${since}&bucket=1h`, KEYS.readAlpha);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.total.count, ALPHA.length);
    const outcomes = stats.body.by_outcome.map((o: Body) => o.outcome);
    assert.ok(!outcomes.includes('denied'), 'no beta outcome in the stats');
    const filtered = await get(`/v1/stats?${since}&outcome=denied`, KEYS.readAlpha);
    assert.equal(filtered.body.total.count, 0);
    assert.equal((await get(`/v1/stats?${since}&tenant=beta`, KEYS.readAlpha)).status, 403);

    const drift = await get('/v1/drift?type=loan.approve&a.version=v1&b.version=v2', KEYS.readAlpha);
    assert.equal(drift.status, 200, JSON.stringify(drift.body));
    assert.equal(drift.body.a.total, 2);
    assert.equal(drift.body.b.total, 1);
    assert.equal(drift.body.a.filter.tenant, 'alpha');
    assert.ok(!drift.body.a.outcomes.some((o: Body) => o.outcome === 'denied'));
    assert.equal((await get('/v1/drift?type=loan.approve&a.version=v1&b.version=v2&tenant=beta', KEYS.readAlpha)).status, 403);
    assert.equal((await get('/v1/drift?type=loan.approve&a.version=v1&b.version=v2&a.tenant=beta', KEYS.readAlpha)).status, 400);

    const alphaEvents = ALPHA.flatMap(decisionEvents).length;
    const verify = await get('/v1/ledger/verify', KEYS.readAlpha);
    assert.equal(verify.status, 200);
    assert.equal(verify.body.ok, true);
    assert.equal(verify.body.checked, alphaEvents, "only alpha's chain is walked");
    assert.equal((await get('/v1/ledger/verify?tenant=beta', KEYS.readAlpha)).status, 403);
    const beta = await get('/v1/ledger/verify', KEYS.readBeta);
    assert.equal(beta.body.checked, BETA.flatMap(decisionEvents).length);
  });

  test("alerts: a read key lists and reads only its tenant's; another tenant's is a 404, asking for it a 403", async () => {
    const alert = (tenant: string, id: string): DecisionAlert => ({
      id,
      tenant,
      at: ago(4),
      type: 'loan.approve',
      version: 'v2',
      kind: 'outcome_rate',
      subject: 'approved',
      direction: 'down',
      message: `decision anomaly: rate of outcome "approved" of loan.approve v2 went down`,
      baseline: { version: 'v1', count: 500, rate: 0.7, mean: null },
      current: { version: null, count: 80, rate: 0.4, mean: null },
      p_value: 0.001,
      example_decision_ids: [tenant === 'alpha' ? 'a-2' : 'b-2'],
    });
    // As the decisions exporter of a logs pipeline writes them (test/decision-alerts-e2e.test.ts).
    const store = new SqliteDecisionStore(collector.dbPath);
    try {
      await store.appendAlerts([alert('alpha', 'alert-alpha'), alert('beta', 'alert-beta'), alert('beta', 'alert-alpha')]);
    } finally {
      await store.close();
    }
    const listed = await get('/v1/alerts', KEYS.readAlpha);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.alerts.map((a: Body) => `${a.tenant}/${a.id}`),
      ['alpha/alert-alpha'],
    );
    assert.equal((await get('/v1/alerts?tenant=beta', KEYS.readAlpha)).status, 403);
    const one = await get('/v1/alerts/alert-alpha', KEYS.readAlpha);
    assert.equal(one.status, 200, 'no 409: the key sees one tenant only');
    assert.equal(one.body.tenant, 'alpha');
    assert.deepEqual(one.body.example_decision_ids, ['a-2']);
    assert.equal((await get('/v1/alerts/alert-beta', KEYS.readAlpha)).status, 404);
    assert.equal((await get('/v1/alerts/alert-beta?tenant=beta', KEYS.readAlpha)).status, 403);
    const all = await get('/v1/alerts', KEYS.admin);
    assert.deepEqual(all.body.alerts.map((a: Body) => `${a.tenant}/${a.id}`).sort(), ['alpha/alert-alpha', 'beta/alert-alpha', 'beta/alert-beta']);
    const ambiguous = await get('/v1/alerts/alert-alpha', KEYS.admin);
    assert.equal(ambiguous.status, 409);
    assert.deepEqual(ambiguous.body.tenants, ['alpha', 'beta']);
    assert.equal((await get('/v1/alerts/alert-alpha?tenant=beta', KEYS.admin)).body.tenant, 'beta');
  });

  test('an admin key reads every tenant', async () => {
    const list = await get('/v1/decisions?limit=1000', KEYS.admin);
    const tenants = new Set(list.body.decisions.map((d: Body) => d.tenant));
    assert.ok(tenants.has('alpha') && tenants.has('beta'));
    assert.equal((await get('/v1/decisions/shared-id', KEYS.admin)).status, 409);
    const beta = await get('/v1/decisions/shared-id?tenant=beta', KEYS.admin);
    assert.equal(beta.status, 200);
    assert.equal(beta.body.outcome, 'denied');
    const stats = await get(`/v1/stats?since=${encodeURIComponent(ago(60))}&type=loan.approve`, KEYS.admin);
    assert.equal(stats.body.total.count, ALPHA.length + BETA.length);
    const verify = await get('/v1/ledger/verify', KEYS.admin);
    assert.equal(verify.body.ok, true);
    assert.ok(verify.body.checked >= [...ALPHA, ...BETA].flatMap(decisionEvents).length);
  });

  test("a write key stores events as its tenant's; one event of another tenant refuses the whole request", async () => {
    const own = decisionEvents({ tenant: 'alpha', id: 'w-1', version: 'v1', outcome: 'approved', at: ago(1) }).map((e) => {
      const { tenant_id: _omitted, ...rest } = e as Body;
      return rest;
    });
    const stored = await post(own, KEYS.writeAlpha);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    const record = await get('/v1/decisions/w-1', KEYS.admin);
    assert.equal(record.status, 200);
    assert.equal(record.body.tenant, 'alpha', 'a missing tenant_id becomes the key tenant');

    const mixed = [
      ...decisionEvents({ tenant: 'alpha', id: 'w-2', version: 'v1', outcome: 'approved', at: ago(1) }),
      ...decisionEvents({ tenant: 'beta', id: 'w-3', version: 'v1', outcome: 'approved', at: ago(1) }),
    ];
    const refused = await post(mixed, KEYS.writeAlpha);
    assert.equal(refused.status, 403);
    assert.match(String(refused.body.error), /index 2, 3/);
    assert.equal((await get('/v1/decisions/w-2', KEYS.admin)).status, 404, 'nothing of that request was stored');
    assert.equal((await get('/v1/decisions/w-3?tenant=beta', KEYS.admin)).status, 404);
  });

  test('malformed percent-encoding in a path segment is a 400, and the API keeps serving', async () => {
    for (const path of ['/v1/decisions/%E0%A4%A', '/v1/decisions/%zz/graph', '/v1/traces/%']) {
      const res = await get(path, KEYS.readAlpha);
      assert.equal(res.status, 400, path);
      assert.match(String(res.body.error), /malformed percent-encoding/);
    }
    assert.equal((await get('/v1/decisions/a-1', KEYS.readAlpha)).status, 200);
  });

  test('reads are audited with the key, the filter as asked and the status; the admin lists them', async () => {
    const marker = `audit-${Date.now()}`;
    assert.equal((await get(`/v1/decisions?type=${marker}`, KEYS.readBeta)).status, 200);
    assert.equal((await get(`/v1/decisions?type=${marker}&tenant=alpha`, KEYS.readBeta)).status, 403);
    assert.equal((await get(`/v1/decisions?type=${marker}&evidence=a%3D1&evidence=b%3D2`, KEYS.readBeta)).status, 200);

    const page = await get('/v1/audit?tenant=beta&limit=1000', KEYS.admin);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const mine = page.body.entries.filter((e: Body) => String(e.query.type ?? '') === marker);
    assert.equal(mine.length, 3, JSON.stringify(page.body.entries.slice(0, 5)));
    for (const entry of mine) {
      assert.equal(entry.key_name, 'reader-beta');
      assert.equal(entry.role, 'read');
      assert.equal(entry.tenant, 'beta');
      assert.equal(entry.method, 'GET');
      assert.equal(entry.path, '/v1/decisions');
      assert.ok(Math.abs(Date.parse(entry.at) - Date.now()) < 60_000);
    }
    assert.deepEqual(
      mine.map((e: Body) => e.status),
      [200, 403, 200],
      'newest first',
    );
    assert.deepEqual(mine[0].query, { type: marker, evidence: 'a=1&b=2' });
    assert.deepEqual(mine[1].query, { type: marker, tenant: 'alpha' });

    const routes = new Set(page.body.entries.map((e: Body) => e.path));
    for (const path of ['/v1/ledger/verify']) assert.ok(routes.has(path), path);
    const alphaEntries = await get('/v1/audit?tenant=alpha&limit=1000', KEYS.admin);
    const alphaPaths = new Set(alphaEntries.body.entries.map((e: Body) => e.path));
    for (const path of ['/v1/decisions', '/v1/decisions/a-1/graph', `/v1/traces/${TRACE_SHARED}`, '/v1/stats', '/v1/drift', '/v1/ledger/verify']) {
      assert.ok(alphaPaths.has(path), `${path} audited`);
    }
    assert.ok(alphaEntries.body.entries.every((e: Body) => e.tenant === 'alpha'));
  });
});

describe('decision API audit log failures', () => {
  test('a read whose audit entry cannot be written is still answered; the failure is logged', async () => {
    const collector = await startCollector({ config: authConfig });
    try {
      const db = new Database(collector.dbPath);
      db.exec('DROP TABLE audit_log');
      db.close();
      const headers = { authorization: `Bearer ${KEYS.readAlpha}` };
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${collector.apiUrl}/v1/decisions`, { headers });
        assert.equal(res.status, 200);
      }
      const deadline = Date.now() + 5_000;
      while (!/writing the audit log failed/.test(collector.logs()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(collector.logs(), /writing the audit log failed/);
      assert.equal((await fetch(`${collector.apiUrl}/v1/decisions`, { headers })).status, 200, 'the API keeps serving');
    } finally {
      await collector.stop();
    }
  });
});

describe('decision_api.auth config', () => {
  const parse = (keys: string, env: NodeJS.ProcessEnv = {}) =>
    parseCollectorConfig(
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  debug: {}
extensions:
  decision_api:
    auth:
${keys}
service:
  extensions: [decision_api]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`,
      defaultComponents(),
      env,
    );

  function errorsOf(keys: string, env: NodeJS.ProcessEnv = {}): string[] {
    try {
      parse(keys, env);
    } catch (error) {
      assert.ok(error instanceof ConfigErrors, String(error));
      return error.errors.map((e) => e.message);
    }
    assert.fail('the config was accepted');
  }

  test('keys come from the environment; roles and tenants parse', () => {
    const config = parse(
      '      api_keys:\n        - { name: ci, key: "${env:DT_KEY}", tenant: acme, role: read }\n        - { name: ops, key: 0123456789abcdef, role: admin }',
      {
        DT_KEY: 'from-the-environment-key',
      },
    );
    const auth = (config.extensions.get('decision_api')!.config as { auth: unknown }).auth;
    assert.deepEqual(auth, {
      api_keys: [
        { name: 'ci', key: 'from-the-environment-key', tenant: 'acme', role: 'read' },
        { name: 'ops', key: '0123456789abcdef', role: 'admin' },
      ],
    });
  });

  test('short, duplicate, unscoped or over-scoped keys are config errors at their YAML path, never echoing a key', () => {
    const P = 'extensions.decision_api.auth.api_keys';
    const cases: Array<[string, RegExp]> = [
      ['- { name: a, key: short-key, tenant: t, role: read }', new RegExp(`${P}\\[0\\]\\.key: a key needs at least 16 characters`)],
      ['- { name: a, key: "${env:DT_UNSET_KEY}", tenant: t, role: read }', new RegExp(`${P}\\[0\\]\\.key: a key needs at least 16 characters`)],
      [
        '- { name: a, key: 0123456789abcdef, tenant: t, role: read }\n        - { name: b, key: 0123456789abcdef, tenant: u, role: read }',
        new RegExp(`${P}\\[1\\]\\.key: the same key as api_keys\\[0\\]`),
      ],
      [
        '- { name: a, key: 0123456789abcdef, tenant: t, role: read }\n        - { name: a, key: 0123456789abcdeg, tenant: u, role: read }',
        new RegExp(`${P}\\[1\\]\\.name: the same name as api_keys\\[0\\]`),
      ],
      ['- { name: a, key: 0123456789abcdef, role: read }', new RegExp(`${P}\\[0\\]\\.tenant: required`)],
      ['- { name: a, key: 0123456789abcdef, tenant: t, role: admin }', new RegExp(`${P}\\[0\\]\\.tenant: an admin key reads every tenant`)],
      ['- { name: a, key: 0123456789abcdef, tenant: t, role: owner }', new RegExp(`${P}\\[0\\]\\.role`)],
      ['- { name: a, key: 0123456789abcdef, tenant: t, role: read, scope: x }', new RegExp(`${P}\\[0\\]\\.scope: unknown key`)],
      ['[]', new RegExp(`${P}: list at least one`)],
    ];
    for (const [list, expected] of cases) {
      const errors = errorsOf(`      api_keys:${list === '[]' ? ' []' : `\n        ${list}`}`);
      assert.ok(
        errors.some((e) => expected.test(e)),
        `${list}\n→ ${errors.join('\n')}`,
      );
      assert.ok(!errors.some((e) => e.includes('0123456789abcdef') || e.includes('short-key')), 'no key in the message');
    }
  });
});
