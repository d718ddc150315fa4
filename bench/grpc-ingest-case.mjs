// OTLP/gRPC ingest: the same workload and baselines as the OTLP/HTTP case, sent the way the
// OpenTelemetry gRPC exporters send it (one HTTP/2 channel, unary Export calls).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import { freePort, makeProtobufBodies, pipelineYaml, SPANS_PER_REQUEST, startCollector, stopCollector } from './harness.mjs';
import { measureIngest } from './ingest-rounds.mjs';

const CONCURRENCY = 16;

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

function exportOnce(client, body) {
  return new Promise((resolve, reject) => {
    client.Export(body, new Metadata(), { deadline: Date.now() + 60_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

async function exportAll(client, bodies) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) await exportOnce(client, bodies[next++]);
    }),
  );
  return (bodies.length * SPANS_PER_REQUEST) / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function grpcIngestCase({ quick, root }) {
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-grpc-'));
  const [grpc, health] = [await freePort(), await freePort()];
  const receiver = `      grpc:\n        endpoint: 127.0.0.1:${grpc}\n`;
  const child = await startCollector(root, dir, 'grpc', pipelineYaml({ dir, receiver, healthPort: health }), health);
  const client = new TraceServiceClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
  try {
    return await measureIngest({
      pid: child.pid,
      name: 'otlp_grpc_ingest',
      quick,
      makeBodies: (count) => {
        const bodies = makeProtobufBodies(count);
        return { plain: bodies, sent: bodies };
      },
      send: (bodies) => exportAll(client, bodies),
    });
  } finally {
    client.close();
    await stopCollector(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
