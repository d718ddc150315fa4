import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_TS, REPO_ROOT, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { startHttpSink, type OtlpSink } from './delivery-sink.js';

/**
 * The in-process packages on the OpenTelemetry JS 3.x line. The 3.x packages live in their own
 * fixture (test/fixtures/otel3: package.json + package-lock.json with exact versions), installed
 * by CI with `npm ci --prefix test/fixtures/otel3` and by this test when missing or stale. The
 * scenarios run in a child process whose `@opentelemetry/*` imports all resolve to the fixture
 * (see resolve-otel3.mjs). The 3.x packages declare Node ≥ 22.15, so the suite runs on such a
 * runtime only (.ci/run runs the whole suite on Node 22 and 24 as well as 20); on Node 20 the 2.x
 * line is what is tested.
 */
const FIXTURE = join(REPO_ROOT, 'test/fixtures/otel3');
const INSTALL_COMMAND = 'npm ci --prefix test/fixtures/otel3';

/** Whether node_modules holds exactly what the fixture's lock file names. */
function fixtureInstalled(): boolean {
  const lock = JSON.parse(readFileSync(join(FIXTURE, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    const manifest = join(FIXTURE, path, 'package.json');
    if (!existsSync(manifest)) return false;
    if ((JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version !== entry.version) return false;
  }
  return true;
}

function ensureFixture(): void {
  if (fixtureInstalled()) return;
  const install = spawnSync('npm', ['ci', '--prefix', FIXTURE, '--no-audit', '--no-fund'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (install.status !== 0 || !fixtureInstalled()) {
    assert.fail(`installing the OpenTelemetry 3.x fixture failed; run \`${INSTALL_COMMAND}\` from the repository root\n${install.stderr ?? ''}`);
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
const OTEL3_RUNTIME = major > 22 || (major === 22 && minor >= 15);
const SKIP = OTEL3_RUNTIME ? false : `OpenTelemetry JS 3.x requires Node.js >= 22.15 (this is ${process.version}); .ci/run runs this suite on Node 22 and 24`;

function runScenarios(
  env: NodeJS.ProcessEnv,
  script = 'test/fixtures/otel3/otel3-scenarios.ts',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_TS, '--import', './test/fixtures/otel3/register-otel3.mjs', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface ScenarioResult {
  passed: string[];
  versions: { api: string; sdkTrace: string };
  dual: { spanIds: string[]; decisions: Array<{ id: string; parent: string | null }> };
}

describe('OpenTelemetry JS 3.x line (sdk-trace 3.x, api 1.10)', { skip: SKIP }, () => {
  let collector: RunningCollector;
  let sink: OtlpSink;
  before(async () => {
    ensureFixture();
    [collector, sink] = await Promise.all([startCollector(), startHttpSink()]);
  });
  after(async () => {
    await collector?.stop();
    await sink?.close();
  });

  test('the processor, the head samplers and the dual exporter work on 3.x', { timeout: 120_000 }, async () => {
    const run = await runScenarios({ OTLP_URL: sink.url, DECISION_API: collector.apiUrl });
    assert.equal(run.code, 0, `the 3.x scenarios failed:\n${run.stderr}\n${run.stdout}`);
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, run.stdout);
    const result = JSON.parse(line.slice('RESULT '.length)) as ScenarioResult;

    assert.equal(result.versions.api, '1.10.0');
    assert.match(result.versions.sdkTrace, /^3\./);
    assert.deepEqual(result.passed, [
      'the process runs on the 3.x line',
      'DecisionSpanProcessor: decisions of a dropped trace, nested across await and Promise.all',
      'head samplers: ConsistentRatioSampler, RateLimitingSampler, DecisionAwareSampler',
      'DualSpanExporter behind the 3.x BatchSpanProcessor and OTLPTraceExporter',
    ]);

    // What the 3.x OTLP exporter, behind the dual exporter, delivered to the sink…
    assert.equal(result.dual.spanIds.length, 20);
    for (const id of result.dual.spanIds) assert.equal(sink.spanArrivals.get(id), 1, `span ${id} arrived once`);
    const services = new Set(sink.requests.flatMap((r) => r.resourceSpans.map((rs) => rs.resource.attributes['service.name'])));
    assert.deepEqual(services, new Set(['refund-service-otel3']));
    // …and what its decision side delivered to the backend.
    for (const { id, parent } of result.dual.decisions) {
      const res = await fetch(`${collector.apiUrl}/v1/decisions/${id}`);
      assert.equal(res.status, 200, `decision ${id} stored`);
      const record = (await res.json()) as { parent_decision_id: string | null; tenant: string };
      assert.equal(record.parent_decision_id, parent);
      assert.equal(record.tenant, 'acme');
    }
  });

  test('registered through the 3.x NodeSDK with the top-level API, decisions reach the collector', { timeout: 120_000 }, async () => {
    const before = sink.spanArrivals.size;
    const run = await runScenarios({ OTLP_URL: sink.url, DECISION_API: collector.apiUrl }, 'test/fixtures/otel3/otel3-nodesdk.ts');
    assert.equal(run.code, 0, `the NodeSDK scenario failed:\n${run.stderr}\n${run.stdout}`);
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, run.stdout);
    const result = JSON.parse(line.slice('RESULT '.length)) as {
      sdkNode: string;
      spanIds: string[];
      decisions: Array<{ id: string; parent: string | null; outcome: string }>;
    };
    assert.match(result.sdkNode, /^0\.30\d\./, 'sdk-node of the 3.x line');
    assert.equal(sink.spanArrivals.size - before, 12);
    for (const id of result.spanIds) assert.equal(sink.spanArrivals.get(id), 1, `span ${id} arrived once`);
    assert.equal(result.decisions.length, 6);
    for (const { id, parent, outcome } of result.decisions) {
      const res = await fetch(`${collector.apiUrl}/v1/decisions/${id}`);
      assert.equal(res.status, 200, `decision ${id} stored`);
      const record = (await res.json()) as { parent_decision_id: string | null; tenant: string; outcome: string; service_name: string };
      assert.equal(record.parent_decision_id, parent);
      assert.equal(record.outcome, outcome);
      assert.equal(record.tenant, 'acme');
      assert.equal(record.service_name, 'refund-service-nodesdk3');
    }
  });
});
