import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/collector-process.js';
// @ts-expect-error the bin's helpers are plain JavaScript without declarations
import { unsupportedRuntime, untestedRuntime, SUPPORTED_NODE_LINES } from '../packages/collector/bin/supported-runtimes.js';

/**
 * The runtimes the CLI accepts, and what it says on the others. `.ci/run` runs the whole suite on
 * each supported line; these tests check that the CLI, the `engines` fields and the README agree
 * with that list, and that a runtime the native addon was not built for gets a sentence, not a
 * crash inside the addon.
 */
const BIN = join(REPO_ROOT, 'packages/collector/bin/decision-trace.js');
const PEERS_CACHE = process.env.DT_PEERS_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'decision-trace-peers');

describe('supported Node.js runtimes', () => {
  test('the supported lines are accepted, older and odd lines refused, newer ones warned about', () => {
    for (const version of ['20.19.0', '20.20.2', '22.12.0', '22.23.5', '24.0.0', '24.22.3']) {
      assert.equal(unsupportedRuntime(version), null, version);
      assert.equal(untestedRuntime(version), null, version);
    }
    for (const version of ['18.20.4', '20.18.3', '21.7.3', '22.11.0', '23.11.1']) {
      assert.match(unsupportedRuntime(version), new RegExp(`^Node\\.js ${version.replace(/\./g, '\\.')} is not supported; use Node\\.js 20\\.19\\+, 22\\.12\\+, 24\\.0\\+`));
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

  // Another official runtime, as .ci/run installs it (scripts/ci/node-runtime.sh), whose ABI differs
  // from the one this checkout's better-sqlite3 was built for.
  const other = existsSync(PEERS_CACHE)
    ? readdirSync(PEERS_CACHE)
        .filter((d) => d.startsWith('node-') && existsSync(join(PEERS_CACHE, d, '.complete')))
        .map((d) => join(PEERS_CACHE, d, 'bin/node'))
        .find((node) => spawnSync(node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim() !== process.versions.modules)
    : undefined;
  test(
    'on a runtime the native addon was not built for, verify says so plainly and touches nothing',
    { skip: other === undefined ? `no other Node.js runtime in ${PEERS_CACHE} (scripts/ci/node-runtime.sh installs one)` : false },
    () => {
      // An existing (empty) database file, so verify gets as far as opening it.
      const dir = mkdtempSync(join(tmpdir(), 'dt-runtime-'));
      const file = join(dir, 'decisions.db');
      writeFileSync(file, '');
      const run = spawnSync(other!, [BIN, 'verify', '--storage', `sqlite:${file}`], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, /better-sqlite3 was built for another Node\.js \(ABI \d+\) than this Node\.js v\d+\.\d+\.\d+ \(ABI \d+\); run `npm rebuild better-sqlite3` with this Node\.js/);
      assert.doesNotMatch(run.stderr, /NODE_MODULE_VERSION|at Module\./, 'no stack trace from inside the addon');
      assert.equal(statSync(file).size, 0, 'the database file is left as it was');
      assert.deepEqual(readdirSync(dir), ['decisions.db'], 'no -wal or -journal file was created');
    },
  );
});
