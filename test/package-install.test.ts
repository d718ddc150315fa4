import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { testCollectorConfig } from './helpers/test-config.js';

/**
 * What a user gets from `npm install @decision-trace/…`: every workspace package is packed with
 * `npm pack` and the tarballs are installed into a project outside the workspace, next to the
 * OpenTelemetry JS SDK from the registry. From there the collector's CLI starts on a config of
 * the user's, and an app registers the decision span processor through NodeSDK and records
 * decisions into it. Nothing of the workspace is on the project's resolution path.
 *
 * One shortcut: better-sqlite3 is installed with its install script off and given the binary
 * this checkout's `npm ci` built for the same version and runtime (compiling SQLite takes minutes
 * on two cores and proves nothing about our packaging). A user's npm builds it, once they allow
 * its script (README: `npm install-scripts approve better-sqlite3` on npm 11).
 */
const PACKAGES = ['model', 'otlp', 'sampling', 'store', 'sdk', 'collector'];

function run(command: string, args: string[], cwd: string, timeout = 300_000) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_loglevel: 'error' } });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The version of a dependency as this checkout installed it, so the project installs the same. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

describe('the packages installed from their tarballs, outside the workspace', () => {
  const work = mkdtempSync(join(tmpdir(), 'dt-install-'));
  const project = join(work, 'app');
  const tarballs = join(work, 'tarballs');

  before(() => {
    run('npx', ['tsc', '-b'], REPO_ROOT);
    mkdirSync(tarballs);
    run('npm', ['pack', '--workspaces', '--pack-destination', tarballs, '--silent'], REPO_ROOT);
    const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
    assert.equal(files.length, PACKAGES.length, `one tarball per package: ${files.join(', ')}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }, null, 2));
    run(
      'npm',
      [
        'install',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...files.map((f) => join(tarballs, f)),
        `@opentelemetry/api@${installedVersion('@opentelemetry/api')}`,
        `@opentelemetry/sdk-node@${installedVersion('@opentelemetry/sdk-node')}`,
        `@opentelemetry/sdk-trace-base@${installedVersion('@opentelemetry/sdk-trace-base')}`,
        `@opentelemetry/resources@${installedVersion('@opentelemetry/resources')}`,
      ],
      project,
    );
    const addon = join(project, 'node_modules/better-sqlite3');
    assert.equal(installedVersion('better-sqlite3'), (JSON.parse(readFileSync(join(addon, 'package.json'), 'utf8')) as { version: string }).version);
    cpSync(join(REPO_ROOT, 'node_modules/better-sqlite3/build'), join(addon, 'build'), { recursive: true });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('every package carries its metadata, license, types and built code; the protos ship in @decision-trace/otlp', () => {
    for (const name of PACKAGES) {
      const dir = join(project, 'node_modules/@decision-trace', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown> & {
        exports: Record<string, { types?: string; default?: string }>;
        repository?: { url?: string; directory?: string };
        engines?: { node?: string };
      };
      for (const key of ['description', 'keywords', 'license', 'repository', 'homepage', 'bugs', 'files', 'engines']) {
        assert.ok(manifest[key], `@decision-trace/${name} has ${key}`);
      }
      assert.equal(manifest.license, 'Apache-2.0');
      assert.equal(manifest.repository?.directory, `packages/${name}`);
      assert.match(manifest.engines?.node ?? '', /\^20\.\d+\.\d+ \|\| \^22/);
      assert.match(readFileSync(join(dir, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
      assert.ok(existsSync(join(dir, 'README.md')), `@decision-trace/${name} has a README`);
      const entry = manifest.exports['.'];
      assert.ok(entry.types && existsSync(join(dir, entry.types)), `@decision-trace/${name} ships its types`);
      assert.ok(entry.default && existsSync(join(dir, entry.default)), `@decision-trace/${name} ships its code`);
    }
    assert.ok(existsSync(join(project, 'node_modules/@decision-trace/otlp/proto/opentelemetry/proto/collector/trace/v1/trace_service.proto')));
  });

  test('the collector CLI runs from the install, and an app registered through NodeSDK records decisions into it', { timeout: 180_000 }, async () => {
    const cli = join(project, 'node_modules/.bin/decision-trace');
    const help = spawnSync(cli, ['--help'], { cwd: project, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: decision-trace/);

    const ports = { http: await freePort(), grpc: await freePort(), api: await freePort(), dbPath: join(project, 'data/decisions.db') };
    writeFileSync(join(project, 'collector-config.yaml'), testCollectorConfig(ports));
    const collector = spawn(cli, ['start', '--config', 'collector-config.yaml'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    collector.stdout.on('data', (d) => (logs += d));
    collector.stderr.on('data', (d) => (logs += d));
    const apiUrl = `http://127.0.0.1:${ports.api}`;
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        assert.equal(collector.exitCode, null, `the installed collector exited:\n${logs}`);
        const res = await fetch(`${apiUrl}/v1/decisions?limit=1`).catch(() => undefined);
        if (res?.ok) break;
        assert.ok(Date.now() < deadline, `the installed collector's API did not answer:\n${logs}`);
        await new Promise((r) => setTimeout(r, 200));
      }

      // The README's in-process set-up, as a user's file in the project.
      writeFileSync(
        join(project, 'app.mjs'),
        `import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DecisionSpanProcessor, HttpDecisionSink, decision } from '@decision-trace/sdk';
const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': 'installed-app' }),
  spanProcessors: [new DecisionSpanProcessor({ sink: new HttpDecisionSink({ endpoint: process.env.API }) })],
  instrumentations: [],
});
sdk.start();
const id = await decision({ type: 'refund.approve.v2', actor: { id: 'agent-7', type: 'agent' } }, async (d) => {
  d.evidence('amount', 120);
  d.policyCheck('refund_limit', 'pass');
  d.outcome('approved', { confidence: 0.92 });
  return d.id;
});
await sdk.shutdown();
console.log(id);
`,
      );
      const app = spawnSync(process.execPath, ['app.mjs'], { cwd: project, encoding: 'utf8', env: { ...process.env, API: apiUrl }, timeout: 60_000 });
      assert.equal(app.status, 0, app.stderr);
      const id = app.stdout.trim();

      const query = spawnSync(cli, ['query', '--json', '--endpoint', apiUrl], { cwd: project, encoding: 'utf8' });
      assert.equal(query.status, 0, query.stderr);
      const listed = JSON.parse(query.stdout) as { decisions?: Array<Record<string, unknown>> } | Array<Record<string, unknown>>;
      const records = Array.isArray(listed) ? listed : (listed.decisions ?? []);
      const record = records.find((r) => r.id === id);
      assert.ok(record, `decision ${id} listed by the installed CLI:\n${query.stdout}`);
      assert.equal(record.outcome, 'approved');
      assert.equal(record.service_name, 'installed-app');
      assert.deepEqual(record.evidence, { amount: 120 });
    } finally {
      collector.kill('SIGTERM');
      await new Promise((r) => collector.once('exit', r));
    }
    const verify = spawnSync(cli, ['verify', '--storage', `sqlite:${ports.dbPath}`], { cwd: project, encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  });
});
