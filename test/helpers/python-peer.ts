import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './collector-process.js';

/**
 * The Python peer venv (decision-trace 0.1.1, the OTel Python SDK and its OTLP/HTTP exporter),
 * made once by scripts/peers/python-venv.sh. Where it cannot be made (no Python, no package
 * index) a test skips with the reason, except under CI=true, where CI provisions it and a
 * missing peer must fail the run instead of hiding it.
 */
export type PythonPeer = { python: string; venv: string; skip?: undefined } | { skip: string };

let cached: PythonPeer | undefined;

export function pythonPeer(): PythonPeer {
  if (cached !== undefined) return cached;
  try {
    const venv = execFileSync('bash', [join(REPO_ROOT, 'scripts/peers/python-venv.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    cached = { venv, python: join(venv, 'bin', 'python') };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    const reason = `Python peer venv unavailable: ${stderr || (error as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${reason} (CI must provide it)`);
    cached = { skip: reason };
  }
  return cached;
}
