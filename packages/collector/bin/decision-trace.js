#!/usr/bin/env node
// The `decision-trace` command. npm links a package's bins when it installs it, before the
// root `prepare` script builds dist/: a bin pointing into dist/ is not linked on a fresh clone,
// and `npx decision-trace` then finds nothing. This file is in git, so the link is always made.
import '../dist/cli.js';
