import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDecisionStore, sqliteDriverInUse } from '@decision-trace/store';
import { REPO_ROOT } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { testCollectorConfig } from './helpers/test-config.js';
// @ts-expect-error the bin's helpers are plain JavaScript without declarations
import { unsupportedRuntime, untestedRuntime, SUPPORTED_NODE_LINES } from '../packages/collector/bin/supported-runtimes.js';

/**
 * The runtimes the CLI accepts, and what it says on the others. `.ci/run` runs the whole suite on
 * each supported line; these tests check that the CLI, the `engines` fields and the README agree
 * with that list, and that on a runtime the native addon was not built for the SQLite store runs
 * on node:sqlite where the runtime has it (and the start log says so), and otherwise the CLI says
 * what to do in a sentence instead of crashing inside the addon.
 */
const BIN = join(REPO_ROOT, 'packages/collector/bin/decision-trace.js');
const PEERS_CACHE = process.env.DT_PEERS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'decision-trace-peers');
/** The machine's own Node.js (20 here and in CI), when the suite runs on an installed one. */
const MACHINE_NODE = '/usr/bin/node';

/** A runtime's ABI, version, and whether it has the node:sqlite the store's driver needs (node-sqlite-driver.ts checks the same). */
function probe(node: string): { abi: string; version: string; nodeSqlite: boolean } {
  const code = `const s = (() => { try { return process.getBuiltinModule?.('node:sqlite'); } catch { return undefined; } })();
console.log(JSON.stringify({ abi: process.versions.modules, version: process.version,
  nodeSqlite: !!s && (() => { const db = new s.DatabaseSync(':memory:'); const st = db.prepare('SELECT 1');
    return ['setReturnArrays', 'columns', 'iterate'].every((m) => m in st) && 'isTransaction' in db; })() }));`;
  return JSON.parse(spawnSync(node, ['--no-warnings', '-e', code], { encoding: 'utf8' }).stdout) as { abi: string; version: string; nodeSqlite: boolean };
}

/** Polls `find` until it returns something (or the child exits, or 60 s pass). */
async function waitFor(find: () => string | undefined, output: () => string, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`not found in time:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('supported Node.js runtimes', () => {
  test('the supported lines are accepted, older and odd lines refused, newer ones warned about', () => {
    for (const version of ['20.19.0', '20.20.2', '22.12.0', '22.23.5', '24.0.0', '24.22.3']) {
      assert.equal(unsupportedRuntime(version), null, version);
      assert.equal(untestedRuntime(version), null, version);
    }
    for (const version of ['18.20.4', '20.18.3', '21.7.3', '22.11.0', '23.11.1']) {
      assert.match(
        unsupportedRuntime(version),
        new RegExp(`^Node\\.js ${version.replace(/\./g, '\\.')} is not supported; use Node\\.js 20\\.19\\+, 22\\.12\\+, 24\\.0\\+`),
      );
    }
    assert.equal(unsupportedRuntime('26.1.0'), null);
    assert.match(untestedRuntime('26.1.0'), /newer than the lines tested \(20, 22, 24\)/);
  });

  test('every package declares the same engines, matching the lines the CLI accepts', () => {
    const expected = SUPPORTED_NODE_LINES.map((line: { major: number; minMinor: number }, i: number, all: unknown[]) =>
      i === all.length - 1 ? `>=${line.major}.${line.minMinor}.0` : `^${line.major}.${line.minMinor}.0`,
    ).join(' || ');
    const manifests = ['package.json', ...readdirSync(join(REPO_ROOT, 'packages')).map((p) => join('packages', p, 'package.json'))];
    for (const manifest of manifests) {
      const { engines } = JSON.parse(readFileSync(join(REPO_ROOT, manifest), 'utf8')) as { engines?: { node?: string } };
      assert.equal(engines?.node, expected, manifest);
    }
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const { major } of SUPPORTED_NODE_LINES) assert.match(readme, new RegExp(`\\| ${major} \\|`), `README's support table lists Node.js ${major}`);
  });

  test('the CLI runs on this runtime', () => {
    const run = spawnSync(process.execPath, [BIN, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Usage: decision-trace/);
  });

  // Other runtimes whose ABI differs from the one this checkout's better-sqlite3 was built for:
  // the official builds .ci/run installs (scripts/ci/node-runtime.sh), and the machine's own
  // Node.js when the suite runs on another.
  const installed = existsSync(PEERS_CACHE)
    ? readdirSync(PEERS_CACHE)
        .filter((d) => d.startsWith('node-') && existsSync(join(PEERS_CACHE, d, '.complete')))
        .map((d) => join(PEERS_CACHE, d, 'bin/node'))
    : [];
  const others = [...installed, MACHINE_NODE]
    .filter((node) => existsSync(node))
    .map((node) => ({ node, ...probe(node) }))
    .filter((runtime) => runtime.abi !== process.versions.modules);
  const withNodeSqlite = others.find((runtime) => runtime.nodeSqlite);
  const withoutNodeSqlite = others.find((runtime) => !runtime.nodeSqlite);

  test(
    'on a runtime the native addon was not built for, the store runs on node:sqlite: verify works, start says so',
    {
      skip: withNodeSqlite === undefined ? `no other Node.js runtime with node:sqlite in ${PEERS_CACHE} (scripts/ci/node-runtime.sh installs one)` : false,
      timeout: 120_000,
    },
    async () => {
      const { node, version } = withNodeSqlite!;
      // A store written here, through better-sqlite3.
      const dir = mkdtempSync(join(tmpdir(), 'dt-runtime-'));
      const file = join(dir, 'decisions.db');
      const store = new SqliteDecisionStore(file);
      const events = ['a', 'b', 'c'].map((id) => ({
        schema_version: '1.0' as const,
        event_id: `rt-${id}`,
        event_type: 'decision.observed' as const,
        decision_id: `rt-${id}`,
        decision_type: 'notify.channel.v1',
        parent_decision_id: null,
        trace_id: null,
        span_id: null,
        tenant_id: 'default',
        environment: null,
        timestamp: new Date().toISOString(),
        actor: { id: 'notifier', type: 'system' as const, version: null, org: null },
        payload: { outcome: 'email' },
        causal_links: [],
        source: 'api.events' as const,
      }));
      await store.append(events);
      await store.close();
      assert.equal(sqliteDriverInUse()?.driver.name, 'better-sqlite3', 'this runtime wrote it with better-sqlite3');

      const verify = spawnSync(node, [BIN, 'verify', '--storage', `sqlite:${file}`], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(verify.stdout, 'ledger intact: 3 rows verified; decision records match their events; audit log intact\n');
      assert.equal(verify.stderr, '', `Node.js ${version} prints nothing on stderr (no ExperimentalWarning)`);

      const ports = { http: await freePort(), grpc: await freePort(), api: await freePort(), dbPath: file };
      const config = join(dir, 'collector-config.yaml');
      writeFileSync(config, testCollectorConfig(ports, { service: { telemetry: { logs: { level: 'info' } } } }));
      const collector = spawn(node, [BIN, 'start', '--config', config], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      collector.stdout.on('data', (d) => (output += d));
      collector.stderr.on('data', (d) => (output += d));
      const exited = new Promise((resolve) => collector.once('exit', resolve));
      try {
        const started = await waitFor(
          () => output.split('\n').find((line) => line.includes('"collector started"')),
          () => output,
          collector,
        );
        const line = JSON.parse(started) as { sqlite_driver?: string; sqlite_driver_reason?: string };
        assert.equal(line.sqlite_driver, 'node:sqlite');
        assert.match(
          line.sqlite_driver_reason ?? '',
          /better-sqlite3 was built for another Node\.js \(ABI \d+\) than this Node\.js v\d+\.\d+\.\d+ \(ABI \d+\)/,
        );
        // The decision API reads, through node:sqlite in the store's worker thread, what better-sqlite3 wrote.
        const listed = (await (await fetch(`http://127.0.0.1:${ports.api}/v1/decisions?limit=10`)).json()) as { decisions: Array<{ id: string }> };
        assert.deepEqual(listed.decisions.map((d) => d.id).sort(), ['rt-a', 'rt-b', 'rt-c']);
        assert.doesNotMatch(output, /ExperimentalWarning/);
      } finally {
        collector.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test(
    'on a runtime the native addon was not built for and without node:sqlite, verify says so plainly and touches nothing',
    { skip: withoutNodeSqlite === undefined ? `no other Node.js runtime without node:sqlite (e.g. Node.js 20 at ${MACHINE_NODE})` : false },
    () => {
      // An existing (empty) database file, so verify gets as far as opening it.
      const dir = mkdtempSync(join(tmpdir(), 'dt-runtime-'));
      const file = join(dir, 'decisions.db');
      writeFileSync(file, '');
      const run = spawnSync(withoutNodeSqlite!.node, [BIN, 'verify', '--storage', `sqlite:${file}`], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.notEqual(run.status, 0);
      assert.match(
        run.stderr,
        /better-sqlite3 was built for another Node\.js \(ABI \d+\) than this Node\.js v\d+\.\d+\.\d+ \(ABI \d+\); run `npm rebuild better-sqlite3` with this Node\.js \(or use Node\.js 24 or a recent 22, whose built-in node:sqlite needs no addon\)/,
      );
      assert.doesNotMatch(run.stderr, /NODE_MODULE_VERSION|at Module\./, 'no stack trace from inside the addon');
      assert.equal(statSync(file).size, 0, 'the database file is left as it was');
      assert.deepEqual(readdirSync(dir), ['decisions.db'], 'no -wal or -journal file was created');
    },
  );
});
