#!/usr/bin/env node
// The `decision-trace` command. npm links a package's bins when it installs it, before the
// root `prepare` script builds dist/: a bin pointing into dist/ is not linked on a fresh clone,
// and `npx decision-trace` then finds nothing. This file is in git, so the link is always made.
//
// It is plain JavaScript that any Node.js can parse, so an unsupported runtime gets a sentence
// instead of a crash somewhere inside a dependency; the CLI itself is loaded only after that.
import { unsupportedRuntime, untestedRuntime } from './supported-runtimes.js';

const problem = unsupportedRuntime(process.versions.node);
if (problem !== null) {
  process.stderr.write(`decision-trace: ${problem}\n`);
  process.exit(1);
}
const untested = untestedRuntime(process.versions.node);
if (untested !== null) process.stderr.write(`decision-trace: warning: ${untested}\n`);
await import('../dist/cli.js');
