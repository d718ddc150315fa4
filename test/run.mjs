#!/usr/bin/env node
// Runs every test file with node's test runner against the TypeScript sources (the `source`
// export condition + tsx), so tests never run against a stale build. tsx does not type-check:
// a whole run (no filter) first type-checks every test file (tsconfig.test*.json); a run of a
// part (`npm test -- <part of a path>`) skips that to stay quick (`npm run typecheck:tests`).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
}

let files = [...readdirSync(join(root, 'packages')).flatMap((p) => testFiles(join(root, 'packages', p, 'test'))), ...testFiles(join(root, 'test'))];
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));
else {
  const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck:tests'], { cwd: root, stdio: 'inherit' });
  if (typecheck.status !== 0) {
    process.stderr.write('the test files do not type-check (npm run typecheck:tests): no tests run\n');
    process.exit(typecheck.status ?? 1);
  }
}

const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--enable-source-maps', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, DT_REPO_ROOT: root },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
