import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './free-port.js';
import { testCollectorConfig, type CollectorPorts } from './test-config.js';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;
export const CLI = join(REPO_ROOT, 'packages/collector/src/cli.ts');

/** Arguments that run a TypeScript entry point the way the tests do (sources, not dist). */
export const NODE_TS = ['--conditions=source', '--import', 'tsx'];

export interface RunningCollector {
  otlpHttpUrl: string;
  grpcEndpoint: string;
  apiUrl: string;
  dbPath: string;
  dir: string;
  logs(): string;
  stop(): Promise<number | null>;
  process: ChildProcess;
}

export interface CollectorOptions {
  /** Extra YAML appended under `processors.decision` etc. is not needed yet; full override instead. */
  config?: (ports: CollectorPorts) => string;
  dir?: string;
}

export function defaultTestConfig(p: CollectorPorts): string {
  return testCollectorConfig(p);
}

/** Runs `decision-trace start` as a real child process and waits until its API answers. */
export async function startCollector(options: CollectorOptions = {}): Promise<RunningCollector> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dt-collector-'));
  const ports = { http: await freePort(), grpc: await freePort(), api: await freePort(), dbPath: join(dir, 'decisions.db') };
  const configFile = join(dir, 'collector-config.yaml');
  const configText = (options.config ?? defaultTestConfig)(ports);
  writeFileSync(configFile, configText);
  const child = spawn(process.execPath, [...NODE_TS, CLI, 'start', '--config', configFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  // Generous: under load (2 cores, several suites) tsx alone can take many seconds to start.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${apiUrl}/v1/decisions?limit=1`);
      // 401: the API is up and asks for a key (decision_api.auth).
      if (res.ok || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // The decision API (an extension) listens before the receivers, which start last: a test that
  // sent at once could meet ECONNREFUSED (the mutual-TLS test did, its receivers reading their
  // certificates). The receivers' ports the config uses must accept connections too.
  for (const port of [ports.http, ports.grpc].filter((p) => configText.includes(`:${p}`))) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${output}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`collector's receiver on port ${port} did not listen in time:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    otlpHttpUrl: `http://127.0.0.1:${ports.http}`,
    grpcEndpoint: `127.0.0.1:${ports.grpc}`,
    apiUrl,
    dbPath: ports.dbPath,
    dir,
    process: child,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_TS, CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
