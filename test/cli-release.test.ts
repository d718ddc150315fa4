import { spawn, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, REPO_ROOT, runCli, startCollector } from './helpers/collector-process.js';
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

  test('validate and start: an OTTL condition that does not parse is exit 2 with its YAML path and column (#15)', async () => {
    const dir = tempDir();
    const file = writeConfig(
      dir,
      testCollectorConfig(ports(dir), {
        processors: {
          tail_sampling: {
            policies: [
              { name: 'errors', type: 'ottl_condition', ottl_condition: { span: ['status.code == STATUS_CODE_ERROR', 'attributes["http.status_code"] >= '] } },
            ],
          },
        },
      }),
    );
    const result = await runCli(['validate', '--config', file]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /processors\.tail_sampling\.policies\[0\]\.ottl_condition\.span\[1\]: invalid OTTL condition: syntax error at column 35: unexpected end of condition/,
    );
    const start = await runCli(['start', '--config', file]);
    assert.equal(start.code, 2);
    assert.equal(start.stderr, result.stderr);
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
      const res = await fetch(`${collector.apiUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([event]),
      });
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
    const settled = writeConfig(
      dir,
      stringify({ ...config, extensions: { decision_api: { endpoint: '127.0.0.1:0', storage: `sqlite:${join(dir, 'b.db')}` } } }),
    );
    const ok = await runCli(['validate', '--config', settled]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});

describe('service.telemetry.logs.encoding', () => {
  test('console: readable lines, not JSON; the default off a terminal stays JSON lines', async () => {
    const consoleRun = await startCollector({
      config: (p) => testCollectorConfig(p, { service: { telemetry: { logs: { level: 'info', encoding: 'console' } } } }),
    });
    await consoleRun.stop();
    const consoleLines = consoleRun
      .logs()
      .split('\n')
      .filter((line) => line.trim() !== '');
    assert.ok(
      consoleLines.some((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: collector started$/.test(line)),
      consoleRun.logs(),
    );
    assert.ok(!consoleLines.some((line) => line.startsWith('{')), consoleRun.logs());

    const jsonRun = await startCollector({ config: (p) => testCollectorConfig(p, { service: { telemetry: { logs: { level: 'info' } } } }) });
    await jsonRun.stop();
    const started = jsonRun
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; level: number })
      .find((entry) => entry.msg === 'collector started');
    assert.equal(started?.level, 30, jsonRun.logs());
  });

  test('the default on a terminal is console', { skip: scriptMissing() }, async () => {
    const dir = tempDir();
    const file = writeConfig(
      dir,
      testCollectorConfig(
        { http: 0, grpc: 0, api: 0, dbPath: join(dir, 'decisions.db') },
        {
          extensions: undefined,
          service: { extensions: [], telemetry: { logs: { level: 'info' }, metrics: { level: 'none' } } },
        },
      ),
    );
    // util-linux `script` gives the collector a pseudo-terminal as stdout; SIGINT stops it.
    const command = [process.execPath, '--conditions=source', '--import', 'tsx', CLI, 'start', '--config', file].map((a) => `'${a}'`).join(' ');
    // Waits for the start line however loaded the machine is; `timeout` only bounds a hang.
    const result = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', `timeout -s INT 120 ${command}`, '/dev/null'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const collect = (d: Buffer) => {
        output += d;
        // Closing the pseudo-terminal hangs the collector up.
        if (/collector started|failed to start/.test(output.replace(/\x1b\[[0-9;]*m/g, ''))) child.kill('SIGTERM');
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('exit', () => resolve(output));
    });
    const plain = result.replace(/\x1b\[[0-9;]*m/g, '');
    assert.match(plain, /INFO: collector started/);
    assert.doesNotMatch(plain, /"msg":"collector started"/);
  });
});

function scriptMissing(): string | false {
  const found = spawnSync('script', ['--version'], { stdio: 'ignore' });
  if (found.error === undefined) return false;
  if (process.env.CI === 'true') return false;
  return 'util-linux `script` (a pseudo-terminal) is not installed';
}
