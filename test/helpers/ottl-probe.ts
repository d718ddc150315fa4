import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './collector-process.js';

/**
 * The OTTL probe (scripts/peers/ottl-probe): the OpenTelemetry Collector's own OTTL library, at
 * the release of the otelcol peer, evaluating conditions as its tail sampler does. Built once by
 * scripts/peers/ottl-probe-build.sh (which builds otelcol first if needed).
 */
let located: { binary?: string; reason?: string } | undefined;

export function ottlProbe(): { binary?: string; reason?: string } {
  if (located) return located;
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/peers/ottl-probe-build.sh')], { encoding: 'utf8', timeout: 30 * 60_000 });
  const binary = result.stdout?.trim();
  if (result.status === 0 && binary && existsSync(binary)) {
    located = { binary };
  } else {
    const why = (result.stderr ?? '').trim().split('\n').slice(-3).join(' / ') || `exit ${result.status}`;
    const reason = `the OTTL probe of the OpenTelemetry Collector peer is not available (scripts/peers/ottl-probe-build.sh: ${why})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI must provision Go and build it`);
    located = { reason };
  }
  return located;
}

/** Per condition, the probe's answer: "PARSE <error>", or one of 1/0/E per span (or span event). */
export function runOttlProbe(tracesJsonFile: string, conditions: Array<{ context: 'span' | 'spanevent'; condition: string }>): string[] {
  const { binary, reason } = ottlProbe();
  if (!binary) throw new Error(reason);
  const input = `${tracesJsonFile}\n${conditions.map(({ context, condition }) => `${context}\t${condition}`).join('\n')}\n`;
  const result = spawnSync(binary, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.status !== 0) throw new Error(`ottl-probe exited with ${result.status}: ${result.stderr}`);
  return result.stdout.split('\n').slice(0, conditions.length);
}
