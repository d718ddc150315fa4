// OTLP/HTTP protobuf with `Content-Encoding: gzip` (what the OpenTelemetry Collector's otlphttp
// exporter sends by default): the same workload and baselines as the OTLP/HTTP case, the
// baselines decoding the uncompressed bodies, so the cost of decompression shows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePort, makeProtobufBodies, pipelineYaml, postAll, startCollector, stopCollector } from './harness.mjs';
import { measureIngest } from './ingest-rounds.mjs';

const CONCURRENCY = 16;

export async function gzipIngestCase({ quick, root }) {
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-gzip-'));
  const [http, health] = [await freePort(), await freePort()];
  const receiver = `      http:\n        endpoint: 127.0.0.1:${http}\n`;
  const child = await startCollector(root, dir, 'gzip', pipelineYaml({ dir, receiver, healthPort: health }), health);
  try {
    return await measureIngest({
      pid: child.pid,
      name: 'otlp_http_protobuf_gzip_ingest',
      quick,
      makeBodies: (count) => {
        const plain = makeProtobufBodies(count);
        return { plain, sent: plain.map((body) => gzipSync(body)) };
      },
      send: (bodies) => postAll(http, bodies, { concurrency: CONCURRENCY, headers: { 'content-encoding': 'gzip' } }),
    });
  } finally {
    await stopCollector(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
