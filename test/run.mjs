#!/usr/bin/env node
// Runs every test file with node's test runner against the TypeScript sources (the `source`
// export condition + tsx), so tests never run against a stale build.
import { spawn } from 'node:child_process';
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

let files = [
  ...readdirSync(join(root, 'packages')).flatMap((p) => testFiles(join(root, 'packages', p, 'test'))),
  ...testFiles(join(root, 'test')),
];
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));

const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--enable-source-maps', '--test', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, DT_REPO_ROOT: root } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
