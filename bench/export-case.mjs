// Dual export and the persistent queue: what forwarding spans to an OTel collector costs the
// ingest path, and what journaling the forwarding queue to disk costs on top of that.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { makeRequest } from './workload.mjs';

const SPANS_PER_REQUEST = 100;
const CONCURRENCY = 8;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** An OTLP/HTTP sink that only counts the requests it got (one per forwarded request: no batching). */
async function startSink() {
  const sink = { requests: 0, waiters: [] };
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      sink.requests += 1;
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      sink.waiters = sink.waiters.filter((w) => (sink.requests >= w.count ? (w.resolve(), false) : true));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}`;
  sink.reached = (count) => (sink.requests >= count ? Promise.resolve() : new Promise((resolve) => sink.waiters.push({ count, resolve })));
  sink.close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return sink;
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Spans per second from the first request until every request was answered and, if forwarded, received. */
async function sendAll(port, bodies, sink) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const expected = sink ? sink.requests + bodies.length : 0;
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) await post(agent, port, bodies[next++]);
    }),
  );
  if (sink) await sink.reached(expected);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return (bodies.length * SPANS_PER_REQUEST) / seconds;
}

function makeBodies(count) {
  const bodies = [];
  for (let i = 0; i < count; i++) bodies.push(Buffer.from(encodeTraceRequestProtobuf(makeRequest(SPANS_PER_REQUEST))));
  return bodies;
}

async function startCollector(root, dir, name, exportersYaml, exporterIds) {
  const [http, health] = [await freePort(), await freePort()];
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    `receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${http}\nprocessors:\n  decision: {}\nexporters:\n  decisions:\n    storage: sqlite:${join(dir, `${name}.db`)}\n${exportersYaml}extensions:\n  health_check:\n    endpoint: 127.0.0.1:${health}\nservice:\n  extensions: [health_check]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [decision]\n      exporters: [${exporterIds}]\n  telemetry:\n    logs:\n      level: warn\n    metrics:\n      level: none\n`,
  );
  const child = spawn(process.execPath, [join(root, 'packages/collector/dist/cli.js'), 'start', '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${health}/`).then((r) => r.ok, () => false);
    if (ok) return { child, port: http };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`collector ${name} did not start`);
}

export async function exportCase({ quick, root }) {
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 200 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-export-'));
  const sinks = { memory: await startSink(), persistent: await startSink() };
  const otlphttp = (sink, queue) => `  otlphttp:\n    endpoint: ${sink.url}\n    sending_queue:\n      queue_size: 5000\n${queue}`;
  const collectors = {
    single: await startCollector(root, dir, 'single', '', 'decisions'),
    memory: await startCollector(root, dir, 'memory', otlphttp(sinks.memory, ''), 'decisions, otlphttp'),
    persistent: await startCollector(root, dir, 'persistent', otlphttp(sinks.persistent, `      storage: ${join(dir, 'queue')}\n`), 'decisions, otlphttp'),
  };
  try {
    const warmup = makeBodies(50);
    await sendAll(collectors.single.port, warmup);
    await sendAll(collectors.memory.port, warmup, sinks.memory);
    await sendAll(collectors.persistent.port, warmup, sinks.persistent);
    const results = { single: [], memory: [], persistent: [] };
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so drift on a noisy machine touches every configuration alike.
      results.single.push(await sendAll(collectors.single.port, makeBodies(requestsPerRound)));
      results.memory.push(await sendAll(collectors.memory.port, makeBodies(requestsPerRound), sinks.memory));
      results.persistent.push(await sendAll(collectors.persistent.port, makeBodies(requestsPerRound), sinks.persistent));
    }
    const single = median(results.single);
    const dual = median(results.memory);
    const persistent = median(results.persistent);
    return [
      { name: 'dual_export_ingest', unit: 'spans/s', value: dual, baseline_name: 'single_export_ingest', baseline_value: single, ratio: dual / single },
      { name: 'persistent_queue_ingest', unit: 'spans/s', value: persistent, baseline_name: 'memory_queue_ingest', baseline_value: dual, ratio: persistent / dual },
    ];
  } finally {
    for (const { child } of Object.values(collectors)) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await Promise.all(Object.values(sinks).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
