import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { makeRequest } from './workload.mjs';
import { STOCK_BASELINE, stockDecodeSpansPerSecond, TUNED_BASELINE, tunedDecodeSpansPerSecond } from './decode-baseline.mjs';

const SPANS_PER_REQUEST = 100;
const CONCURRENCY = 16;

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

function makeBodies(count) {
  const bodies = [];
  for (let i = 0; i < count; i++) bodies.push(Buffer.from(encodeTraceRequestProtobuf(makeRequest(SPANS_PER_REQUEST))));
  return bodies;
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

async function sendAll(port, bodies) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) await post(agent, port, bodies[next++]);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return (bodies.length * SPANS_PER_REQUEST) / seconds;
}

async function startCollector(root, dir) {
  const [http, api] = [await freePort(), await freePort()];
  const config = join(dir, 'collector-config.yaml');
  writeFileSync(
    config,
    `receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${http}\nprocessors:\n  decision: {}\nexporters:\n  decisions:\n    storage: sqlite:${join(dir, 'decisions.db')}\nextensions:\n  decision_api:\n    endpoint: 127.0.0.1:${api}\n    storage: sqlite:${join(dir, 'decisions.db')}\nservice:\n  extensions: [decision_api]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [decision]\n      exporters: [decisions]\n  telemetry:\n    logs:\n      level: warn\n`,
  );
  const extraArgs = process.env.DT_BENCH_NODE_ARGS ? process.env.DT_BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...extraArgs, join(root, 'packages/collector/dist/cli.js'), 'start', '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${api}/v1/decisions?limit=1`).then((r) => r.ok, () => false);
    if (ok) return { child, port: http };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('collector did not start');
}

export async function ingestCase({ quick, root }) {
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 200 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-'));
  const { child, port } = await startCollector(root, dir);
  try {
    await sendAll(port, makeBodies(50));
    const e2e = [];
    const decode = [];
    const tuned = [];
    for (let round = 0; round < rounds; round++) {
      const bodies = makeBodies(requestsPerRound);
      decode.push(stockDecodeSpansPerSecond(bodies));
      tuned.push(tunedDecodeSpansPerSecond(bodies));
      e2e.push(await sendAll(port, bodies));
    }
    const value = median(e2e);
    const baseline = median(decode);
    const tunedBaseline = median(tuned);
    return [
      { name: 'otlp_http_protobuf_ingest', unit: 'spans/s', value, baseline_name: STOCK_BASELINE, baseline_value: baseline, ratio: value / baseline },
      {
        name: 'otlp_http_protobuf_ingest_vs_tuned_decode',
        unit: 'spans/s',
        value,
        baseline_name: TUNED_BASELINE,
        baseline_value: tunedBaseline,
        ratio: value / tunedBaseline,
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
