// OTLP/gRPC ingest: the same workload and decode-only baseline as the OTLP/HTTP case, sent the
// way the OpenTelemetry gRPC exporters send it (one HTTP/2 channel, unary Export calls).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { makeRequest } from './workload.mjs';
import { STOCK_BASELINE, stockDecodeSpansPerSecond, TUNED_BASELINE, tunedDecodeSpansPerSecond } from './decode-baseline.mjs';

const SPANS_PER_REQUEST = 100;
const CONCURRENCY = 8;

const identity = (bytes) => bytes;
const TraceServiceClient = makeGenericClientConstructor(
  {
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'TraceService',
);

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


function exportOnce(client, body) {
  return new Promise((resolve, reject) => {
    client.Export(body, new Metadata(), { deadline: Date.now() + 60_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

async function sendAll(client, bodies) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) await exportOnce(client, bodies[next++]);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (bodies.length * SPANS_PER_REQUEST) / seconds;
}

async function startCollector(root, dir) {
  const [grpc, api] = [await freePort(), await freePort()];
  const config = join(dir, 'collector-config.yaml');
  writeFileSync(
    config,
    `receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:${grpc}\nprocessors:\n  decision: {}\nexporters:\n  decisions:\n    storage: sqlite:${join(dir, 'decisions.db')}\nextensions:\n  decision_api:\n    endpoint: 127.0.0.1:${api}\n    storage: sqlite:${join(dir, 'decisions.db')}\nservice:\n  extensions: [decision_api]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [decision]\n      exporters: [decisions]\n  telemetry:\n    logs:\n      level: warn\n`,
  );
  const extraArgs = process.env.DT_BENCH_NODE_ARGS ? process.env.DT_BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...extraArgs, join(root, 'packages/collector/dist/cli.js'), 'start', '--config', config], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${api}/v1/decisions?limit=1`).then((r) => r.ok, () => false);
    if (ok) return { child, target: `127.0.0.1:${grpc}` };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('collector did not start');
}

export async function grpcIngestCase({ quick, root }) {
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 200 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-grpc-'));
  const { child, target } = await startCollector(root, dir);
  const client = new TraceServiceClient(target, credentials.createInsecure());
  try {
    await sendAll(client, makeBodies(50));
    const e2e = [];
    const decode = [];
    const tuned = [];
    for (let round = 0; round < rounds; round++) {
      const bodies = makeBodies(requestsPerRound);
      decode.push(stockDecodeSpansPerSecond(bodies));
      tuned.push(tunedDecodeSpansPerSecond(bodies));
      e2e.push(await sendAll(client, bodies));
    }
    const value = median(e2e);
    const baseline = median(decode);
    const tunedBaseline = median(tuned);
    return [
      { name: 'otlp_grpc_ingest', unit: 'spans/s', value, baseline_name: STOCK_BASELINE, baseline_value: baseline, ratio: value / baseline },
      {
        name: 'otlp_grpc_ingest_vs_tuned_decode',
        unit: 'spans/s',
        value,
        baseline_name: TUNED_BASELINE,
        baseline_value: tunedBaseline,
        ratio: value / tunedBaseline,
      },
    ];
  } finally {
    client.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
