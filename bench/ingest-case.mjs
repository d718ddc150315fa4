// OTLP/HTTP protobuf ingest through the default pipeline into SQLite, from this (second) process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, makeProtobufBodies, pipelineYaml, postAll, startCollector, stopCollector } from './harness.mjs';
import { measureIngest } from './ingest-rounds.mjs';

const CONCURRENCY = 16;

export async function ingestCase({ quick, root }) {
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-'));
  const [http, health] = [await freePort(), await freePort()];
  const receiver = `      http:\n        endpoint: 127.0.0.1:${http}\n`;
  const child = await startCollector(root, dir, 'http', pipelineYaml({ dir, receiver, healthPort: health }), health);
  try {
    return await measureIngest({
      name: 'otlp_http_protobuf_ingest',
      quick,
      makeBodies: (count) => {
        const bodies = makeProtobufBodies(count);
        return { plain: bodies, sent: bodies };
      },
      send: (bodies) => postAll(http, bodies, { concurrency: CONCURRENCY }),
    });
  } finally {
    await stopCollector(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
