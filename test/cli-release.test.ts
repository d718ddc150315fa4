import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, runCli, startCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'dt-cli-release-'));
}

function writeConfig(dir: string, text: string): string {
  const file = join(dir, 'collector-config.yaml');
  writeFileSync(file, text);
  return file;
}

const ports = (dir: string) => ({ http: 0, grpc: 0, api: 0, dbPath: join(dir, 'decisions.db') });

describe('decision-trace CLI: version and validate', () => {
  test('--version prints the collector package version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'packages/collector/package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), version);
    // A command's own --version (the decision type version) is not the program's.
    const query = await runCli(['query', '--version', 'v2', '--endpoint', 'http://127.0.0.1:1']);
    assert.doesNotMatch(query.stdout, new RegExp(`^${version.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(query.stderr, /cannot reach the decision API/);
  });

  test('validate: exit 0 for a valid config, creating nothing', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, testCollectorConfig(ports(dir)));
    const result = await runCli(['validate', '--config', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /valid/);
    assert.equal(existsSync(join(dir, 'decisions.db')), false, 'validate opens no store');
  });

  test('validate: exit 2 listing every problem with its YAML path, as start does', async () => {
    const dir = tempDir();
    const file = writeConfig(
      dir,
      testCollectorConfig(ports(dir), {
        receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:99999', bogus_key: true } } } },
        processors: { decision: { nope: 1 } },
      }),
    );
    const result = await runCli(['validate', '--config', file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /receivers\.otlp\.protocols\.http\.endpoint: invalid port 99999/);
    assert.match(result.stderr, /receivers\.otlp\.protocols\.http\.bogus_key: unknown key/);
    assert.match(result.stderr, /processors\.decision\.nope: unknown key/);
    const start = await runCli(['start', '--config', file]);
    assert.equal(start.code, 2);
    assert.equal(start.stderr, result.stderr, 'validate and start report the same problems');
  });

  test('a YAML syntax error is one error with its line and column, not one per following line', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, 'receivers:\n  otlp: {\n  bad: [\nservice: x\n  y: : :\n');
    for (const command of ['validate', 'start']) {
      const result = await runCli([command, '--config', file]);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.equal(result.stderr.match(/YAML syntax error/g)?.length, 1, result.stderr);
      assert.match(result.stderr, /at line \d+, column \d+/);
      assert.match(result.stderr, /further syntax errors? after it/);
    }
  });
});

describe('read-only commands on a SQLite path that does not exist', () => {
  for (const args of [
    (db: string) => ['verify', '--storage', `sqlite:${db}`],
    (db: string) => ['lint', '--registry', join(REPO_ROOT, 'examples/decision-registry.yaml'), '--storage', `sqlite:${db}`],
  ]) {
    const command = args('x')[0]!;
    test(`${command} fails with a clear message, exit 2, and creates nothing`, async () => {
      const dir = tempDir();
      const db = join(dir, 'typo', 'decisions.db');
      const result = await runCli(args(db));
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /no store at sqlite:.*typo\/decisions\.db: .* does not exist \(nothing was created\)/);
      assert.equal(existsSync(join(dir, 'typo')), false);
      assert.equal(result.stdout, '');
    });
  }
});

describe('decision_api without storage', () => {
  test("serves the store the pipeline's decisions exporter writes, not the default file", async () => {
    const collector = await startCollector({
      config: (p) => testCollectorConfig(p, { extensions: { decision_api: { endpoint: `127.0.0.1:${p.api}`, storage: undefined } } }),
    });
    try {
      assert.doesNotMatch(readFileSync(join(collector.dir, 'collector-config.yaml'), 'utf8'), /decision_api:[\s\S]*storage/);
      const event = {
        tenant_id: 'acme',
        decision_id: 'api-default-store',
        decision_type: 'kyc.check.v1',
        event_id: 'api-default-store-o',
        event_type: 'decision.outcome',
        timestamp: new Date().toISOString(),
        payload: { status: 'pass' },
      };
      const res = await fetch(`${collector.apiUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([event]) });
      assert.equal(res.status, 200, await res.text());
    } finally {
      await collector.stop();
    }
    // The event went into the exporter's file (a different file would leave this one without it).
    const verify = await runCli(['verify', '--storage', `sqlite:${collector.dbPath}`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /ledger intact: 1 rows verified/);
  });

  test('is refused, naming the key, when the pipelines write several stores', async () => {
    const dir = tempDir();
    const config = {
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors: { decision: {} },
      exporters: { decisions: { storage: `sqlite:${join(dir, 'a.db')}` }, 'decisions/b': { storage: `sqlite:${join(dir, 'b.db')}` } },
      extensions: { decision_api: { endpoint: '127.0.0.1:0' } },
      service: {
        extensions: ['decision_api'],
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['decision'], exporters: ['decisions'] },
          'traces/b': { receivers: ['otlp'], processors: ['decision'], exporters: ['decisions/b'] },
        },
      },
    };
    const file = writeConfig(dir, stringify(config));
    for (const command of ['validate', 'start']) {
      const result = await runCli([command, '--config', file]);
      assert.equal(result.code, 2, `${command}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /extensions\.decision_api\.storage: required when the pipelines write several stores/);
      assert.match(result.stderr, /exporters\.decisions writes sqlite:.*a\.db, exporters\.decisions\/b writes sqlite:.*b\.db/);
    }
    assert.equal(existsSync(join(dir, 'a.db')), false);

    // Naming the store to serve settles it.
    const settled = writeConfig(dir, stringify({ ...config, extensions: { decision_api: { endpoint: '127.0.0.1:0', storage: `sqlite:${join(dir, 'b.db')}` } } }));
    const ok = await runCli(['validate', '--config', settled]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
