// What the collector benchmarks share: the workload's request bodies, a collector child process
// built from a pipeline's YAML, an OTLP/HTTP load generator, and medians.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { makeRequest } from './workload.mjs';

export const SPANS_PER_REQUEST = 100;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Distinct OTLP protobuf requests, so every decision in them is new to the store. */
export function makeProtobufBodies(count) {
  const bodies = [];
  for (let i = 0; i < count; i++) bodies.push(Buffer.from(encodeTraceRequestProtobuf(makeRequest(SPANS_PER_REQUEST))));
  return bodies;
}

/**
 * The default pipeline (otlp → decision → exporters) as YAML. `receiver` is the protocols block,
 * `exporters` extra exporter definitions and `exporterIds` the pipeline's exporter list;
 * `contextSpans: false` keeps only decisions (no context spans stored); `storage` replaces the default
 * SQLite file `<dir>/<name>.db`.
 */
export function pipelineYaml({ dir, name = 'decisions', receiver, healthPort, exporters = '', exporterIds = 'decisions', contextSpans = true, storage }) {
  const store = storage ?? `sqlite:${join(dir, `${name}.db`)}`;
  const spans = contextSpans ? '' : '    store_context_spans: false\n';
  return `receivers:\n  otlp:\n    protocols:\n${receiver}processors:\n  decision: {}\nexporters:\n  decisions:\n    storage: '${store}'\n${spans}${exporters}extensions:\n  health_check:\n    endpoint: 127.0.0.1:${healthPort}\nservice:\n  extensions: [health_check]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [decision]\n      exporters: [${exporterIds}]\n  telemetry:\n    logs:\n      level: warn\n    metrics:\n      level: none\n`;
}

/**
 * Runs the built collector (dist, as `npm start` does) on `yaml` and resolves when its health
 * check answers. `DT_BENCH_NODE_ARGS` passes flags such as `--cpu-prof` to it.
 */
export async function startCollector(root, dir, name, yaml, healthPort) {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, yaml);
  const extraArgs = process.env.DT_BENCH_NODE_ARGS ? process.env.DT_BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...extraArgs, join(root, 'packages/collector/dist/cli.js'), 'start', '--config', config], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${healthPort}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`collector ${name} did not start`);
}

export async function stopCollector(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

function post(agent, port, body, headers) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length, ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Posts every body over keep-alive connections, `concurrency` requests in flight, and returns
 * spans per second from the first request to the last answer (and to `until()`, if given).
 */
export async function postAll(port, bodies, { concurrency, headers = {}, until } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await post(agent, port, bodies[next++], headers);
    }),
  );
  if (until) await until();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return (bodies.length * SPANS_PER_REQUEST) / seconds;
}

/**
 * CPU time (ns) each thread of process `pid` has run so far, grouped as `main` (the event loop:
 * its thread id is the pid), `store` (the store worker, which names itself dt-store),
 * `checkpointer` (the WAL checkpointer, dt-checkpoint) and `other` (V8's GC and compiler
 * threads, libuv's pool, …). Read from
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds; the tick counts of `stat` are too coarse for a
 * round of a second or two). Threads that ended between two reads drop out of `other`. null where
 * /proc is not there (not Linux).
 */
const THREAD_GROUPS = { 'dt-store': 'store', 'dt-checkpoint': 'checkpointer' };

export function threadCpuNanos(pid) {
  const totals = { main: 0, store: 0, checkpointer: 0, other: 0 };
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tids) {
    let comm;
    let ns;
    try {
      comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // The thread ended while we looked.
    }
    const group = Number(tid) === pid ? 'main' : (THREAD_GROUPS[comm] ?? 'other');
    totals[group] += ns;
  }
  return totals;
}

/** µs CPU per span of each thread group between two threadCpuNanos readings. */
export function cpuMicrosPerSpan(before, after, spans) {
  if (before === null || after === null) return null;
  const per = (group) => (after[group] - before[group]) / 1000 / spans;
  return { main: per('main'), store: per('store'), checkpointer: per('checkpointer'), other: per('other') };
}
