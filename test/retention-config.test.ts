import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { freePort } from './helpers/free-port.js';
import { runCli, startCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';

/** exporters.decisions.retention: validated at start, applied in the background by the exporter that owns the store. */

function parse(exporter: string) {
  return parseCollectorConfig(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  decision: {}
exporters:
  decisions:
${exporter}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions]
`,
    defaultComponents(),
    {},
  );
}

function errorsOf(exporter: string): string[] {
  try {
    parse(exporter);
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('the config was accepted');
}

describe('retention config', () => {
  test('policies parse with durations like the rest of the config; interval defaults to 1h', () => {
    const config = parse(`
    storage: sqlite:./data/never.db
    retention:
      policies:
        - ttl: 30d
        - { tenant: acme, ttl: 12h }
        - { tenant: acme, type: refund.approve, ttl: 1m30s }
        - { type: legal.hold, ttl: 500 }
`);
    const retention = (config.exporters.get('decisions')!.config as { retention: unknown }).retention;
    assert.deepEqual(retention, {
      interval: 3_600_000,
      policies: [
        { ttl: 30 * 86_400_000 },
        { tenant: 'acme', ttl: 12 * 3_600_000 },
        { tenant: 'acme', type: 'refund.approve', ttl: 90_000 },
        { type: 'legal.hold', ttl: 500 },
      ],
    });
    const explicit = parse(`
    retention:
      interval: 200ms
      policies: [{ ttl: 2s }]
`);
    assert.equal((explicit.exporters.get('decisions')!.config as { retention: { interval: number } }).retention.interval, 200);
  });

  test('invalid retention settings name their YAML path', () => {
    const cases: Array<[string, RegExp]> = [
      ['retention:\n      policies: [{ tenant: acme }]', /exporters\.decisions\.retention\.policies\[0\]\.ttl: required/],
      ['retention:\n      policies: [{ ttl: forever }]', /exporters\.decisions\.retention\.policies\[0\]\.ttl: invalid duration "forever"/],
      ['retention:\n      policies: [{ ttl: 0s }]', /exporters\.decisions\.retention\.policies\[0\]\.ttl: must be at least 1ms/],
      ['retention:\n      interval: 0s\n      policies: [{ ttl: 1d }]', /exporters\.decisions\.retention\.interval: must be at least 1ms/],
      ['retention:\n      policies: [{ ttl: 1d, tenants: [a] }]', /exporters\.decisions\.retention\.policies\[0\]\.tenants: unknown key/],
      [
        'retention:\n      policies: [{ ttl: 1d, type: refund.approve.v2 }]',
        /exporters\.decisions\.retention\.policies\[0\]\.type: retention is per type, for all its versions/,
      ],
      [
        'retention:\n      policies: [{ ttl: 1d, tenant: a }, { ttl: 2d, tenant: a }]',
        /exporters\.decisions\.retention\.policies\[1\]: the same tenant and type as policies\[0\]/,
      ],
      ['retention:\n      policies: []', /exporters\.decisions\.retention\.policies: list at least one/],
      ['retention:\n      every: 1h\n      policies: [{ ttl: 1d }]', /exporters\.decisions\.retention\.every: unknown key/],
      ['endpoint: http://127.0.0.1:8711\n    retention:\n      policies: [{ ttl: 1d }]', /exporters\.decisions\.retention: only applies to the embedded store/],
      [
        'nats:\n      url: nats://127.0.0.1:4222\n    retention:\n      policies: [{ ttl: 1d }]',
        /exporters\.decisions\.retention: only applies to the embedded store/,
      ],
    ];
    for (const [yaml, expected] of cases) {
      const errors = errorsOf(`    ${yaml}`);
      assert.ok(
        errors.some((e) => expected.test(e)),
        `${yaml}\n→ ${errors.join('\n')}`,
      );
    }
  });
});

describe('retention in a running collector', () => {
  test('expired decisions are deleted in the background, the rest kept, and the ledger still verifies', async () => {
    const metricsPort = await freePort();
    const collector = await startCollector({
      config: (p) =>
        testCollectorConfig(p, {
          exporters: {
            decisions: {
              retention: {
                interval: '200ms',
                policies: [{ ttl: '30s' }, { tenant: 'keeper', ttl: '30d' }, { type: 'legal.hold', ttl: '365d' }],
              },
            },
          },
          service: { telemetry: { metrics: { address: `127.0.0.1:${metricsPort}` } } },
        }),
    });
    try {
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
      const decision = (tenant: string, id: string, type: string, at: string) =>
        ['decision.start', 'outcome'].map((event_type) => ({
          tenant_id: tenant,
          decision_id: id,
          decision_type: type,
          event_id: `${id}-${event_type}`,
          event_type,
          timestamp: at,
          payload: event_type === 'outcome' ? { status: 'done' } : {},
        }));
      const body = [
        ...decision('acme', 'old-1', 'loan.approve.v1', hourAgo),
        ...decision('acme', 'old-2', 'loan.approve.v2', hourAgo),
        ...decision('acme', 'fresh', 'loan.approve.v1', new Date().toISOString()),
        ...decision('acme', 'held', 'legal.hold.v3', hourAgo),
        ...decision('keeper', 'kept', 'loan.approve.v1', hourAgo),
      ];
      const posted = await fetch(`${collector.apiUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(posted.status, 200, await posted.text());

      const ids = async () => {
        const res = await fetch(`${collector.apiUrl}/v1/decisions?limit=1000`);
        return ((await res.json()) as { decisions: Array<{ id: string }> }).decisions.map((d) => d.id).sort();
      };
      const deadline = Date.now() + 10_000;
      while ((await ids()).includes('old-1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await ids(), ['fresh', 'held', 'kept'], 'expired decisions went, the newer and those under longer policies stayed');

      const verify = async () => (await (await fetch(`${collector.apiUrl}/v1/ledger/verify`)).json()) as { ok: boolean; checked: number };
      const afterRetention = await verify();
      assert.equal(afterRetention.ok, true, JSON.stringify(afterRetention));

      // The chain goes on after the checkpoint: new events append and verify.
      const more = await fetch(`${collector.apiUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(decision('acme', 'later', 'loan.approve.v1', new Date().toISOString())),
      });
      assert.equal(more.status, 200);
      assert.equal((await verify()).ok, true);

      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      assert.match(metrics, /otelcol_exporter_retention_deleted_decisions_total\{exporter="decisions"\} 2\b/);
      const runs = Number(/otelcol_exporter_retention_runs_total\{exporter="decisions"\} (\d+)/.exec(metrics)?.[1]);
      assert.ok(runs >= 1, metrics);
      assert.match(metrics, /otelcol_exporter_retention_failures_total\{exporter="decisions"\} 0\b/);
    } finally {
      assert.equal(await collector.stop(), 0);
    }
    const offline = await runCli(['verify', '--storage', `sqlite:${collector.dbPath}`]);
    assert.equal(offline.code, 0, offline.stdout + offline.stderr);
  });
});
