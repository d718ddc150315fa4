import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from './collector-process.js';

/**
 * The real OpenTelemetry Collector (core + contrib v0.161.0, scripts/peers/otelcol-builder.yaml)
 * as a peer in end-to-end tests. scripts/peers/otelcol-build.sh builds it once and caches it by
 * the manifest's hash; CI runs that script before the tests, so here it only prints the path.
 */

let located: { binary?: string; reason?: string } | undefined;

/**
 * The otelcol binary's path, or the reason there is none (Go missing, the module proxy
 * unreachable, the build failed). With CI=true a missing binary is an error, never a skip.
 */
export function otelcolBinary(): { binary?: string; reason?: string } {
  if (located) return located;
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/peers/otelcol-build.sh')], { encoding: 'utf8', timeout: 30 * 60_000 });
  const binary = result.stdout?.trim();
  if (result.status === 0 && binary && existsSync(binary)) {
    located = { binary };
  } else {
    const why = (result.stderr ?? '').trim().split('\n').slice(-3).join(' / ') || `exit ${result.status}`;
    const reason = `the OpenTelemetry Collector peer is not available (scripts/peers/otelcol-build.sh: ${why})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI must provision Go and build it`);
    located = { reason };
  }
  return located;
}

/** node:test's `skip` option: false when otelcol is there, else the reason. */
export function skipWithoutOtelcol(): false | string {
  const { reason } = otelcolBinary();
  return reason ?? false;
}

export interface RunningOtelcol {
  dir: string;
  configFile: string;
  logs(): string;
  stop(): Promise<number | null>;
  process: ChildProcess;
}

/**
 * Starts otelcol with `config` (an object written as YAML). Its own metrics endpoint (port 8888
 * by default, shared by every instance) is switched off unless the config sets telemetry itself.
 * Resolves once otelcol logs that everything is ready; rejects with its output if it exits.
 */
export async function startOtelcol(config: Record<string, unknown>, options: { dir?: string } = {}): Promise<RunningOtelcol> {
  const { binary, reason } = otelcolBinary();
  if (!binary) throw new Error(reason);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dt-otelcol-'));
  const configFile = join(dir, 'otelcol.yaml');
  const service = (config.service ?? {}) as Record<string, unknown>;
  const withTelemetry = {
    ...config,
    service: { telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } }, ...service },
  };
  writeFileSync(configFile, stringify(withTelemetry));
  const child = spawn(binary, ['--config', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!output.includes('Everything is ready')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`otelcol exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`otelcol did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    dir,
    configFile,
    process: child,
    logs: () => output,
    async stop() {
      // SIGTERM: otelcol shuts its pipelines down in order, draining what it holds.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * The requests otelcol's file exporter wrote (format json: one ExportTraceServiceRequest per
 * line). A last line without its newline is still being written, and is left for the next read.
 */
export function readFileExporterLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.pop();
  return lines.filter((line) => line.trim() !== '');
}
