import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';

const READ_KEY = 'cli-read-key-0123456789';
const ADMIN_KEY = 'cli-admin-key-0123456789';

test('decision-trace query/show against an authed API: --api-key or DT_API_KEY, and the new filters', async () => {
  const collector = await startCollector({
    config: (p) =>
      testCollectorConfig(p, {
        extensions: {
          decision_api: {
            auth: {
              api_keys: [
                { name: 'cli', key: READ_KEY, tenant: 'acme', role: 'read' },
                { name: 'ops', key: ADMIN_KEY, role: 'admin' },
              ],
            },
          },
        },
      }),
  });
  try {
    const decision = (tenant: string, id: string, confidence: number, region: string, violations: boolean) => [
      {
        tenant_id: tenant,
        decision_id: id,
        decision_type: 'kyc.check.v1',
        event_id: `${id}-e`,
        event_type: 'decision.evidence',
        timestamp: '2026-11-20T10:00:00.000Z',
        payload: { key: 'region', value: region },
      },
      {
        tenant_id: tenant,
        decision_id: id,
        decision_type: 'kyc.check.v1',
        event_id: `${id}-o`,
        event_type: 'decision.outcome',
        timestamp: '2026-11-20T10:00:01.000Z',
        payload: { status: 'pass', confidence },
        actor: { id: `${id}-actor`, type: 'agent' },
        violations: violations ? [{ rule: 'r', detail: 'd' }] : null,
      },
    ];
    const res = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify([
        ...decision('acme', 'k-1', 0.9, 'eu', false),
        ...decision('acme', 'k-2', 0.3, 'us', true),
        ...decision('other', 'k-3', 0.95, 'eu', false),
      ]),
    });
    assert.equal(res.status, 200);

    const denied = await runCli(['query', '--endpoint', collector.apiUrl], { env: { DT_API_KEY: '' } });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /401: missing API key.*pass --api-key or set DT_API_KEY/);

    const ids = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const result = await runCli(['query', '--endpoint', collector.apiUrl, '--json', ...args], { env: { DT_API_KEY: '', ...env } });
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as { decisions: Array<{ id: string }> }).decisions.map((d) => d.id).sort();
    };
    assert.deepEqual(await ids(['--api-key', READ_KEY]), ['k-1', 'k-2'], "only the key's tenant");
    assert.deepEqual(await ids([], { DT_API_KEY: READ_KEY }), ['k-1', 'k-2']);
    assert.deepEqual(await ids(['--api-key', READ_KEY, '--max-confidence', '0.5', '--has-violations', 'true']), ['k-2']);
    assert.deepEqual(await ids(['--api-key', READ_KEY, '--evidence', 'region=eu', '--actor-type', 'agent', '--status', 'decided', '--min-confidence', '0.5']), [
      'k-1',
    ]);
    assert.deepEqual(await ids(['--api-key', ADMIN_KEY, '--evidence', 'region=eu', '--evidence', 'region=eu', '--actor-id', 'k-3-actor']), ['k-3']);

    const forbidden = await runCli(['query', '--endpoint', collector.apiUrl, '--api-key', READ_KEY, '--tenant', 'other']);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /403: key "cli" may not read tenant "other"/);

    const show = await runCli(['show', 'k-1', '--endpoint', collector.apiUrl, '--json'], { env: { DT_API_KEY: READ_KEY } });
    assert.equal(show.code, 0, show.stderr);
    assert.equal(JSON.parse(show.stdout).decision.id, 'k-1');
    const hidden = await runCli(['show', 'k-3', '--endpoint', collector.apiUrl, '--api-key', READ_KEY]);
    assert.equal(hidden.code, 1);
    assert.match(hidden.stderr, /404/);
  } finally {
    await collector.stop();
  }
});
