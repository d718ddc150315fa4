// OTLP/HTTP protobuf ingest through the default pipeline into SQLite, from this (second) process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, makeProtobufBodies, pipelineYaml, postAll, startCollector, stopCollector } from './harness.mjs';
import { measureIngest } from './ingest-rounds.mjs';

const CONCURRENCY = 16;

export function ingestCase(options) {
  return runIngest(options, 'otlp_http_protobuf_ingest', true);
}

/** The same with `store_context_spans: false`: decisions only, as before context spans were kept. */
export function decisionsOnlyIngestCase(options) {
  return runIngest(options, 'otlp_http_protobuf_ingest_decisions_only', false);
}

async function runIngest({ quick, root }, name, contextSpans) {
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-'));
  const [http, health] = [await freePort(), await freePort()];
  const receiver = `      http:\n        endpoint: 127.0.0.1:${http}\n`;
  const child = await startCollector(root, dir, 'http', pipelineYaml({ dir, receiver, healthPort: health, contextSpans }), health);
  try {
    return await measureIngest({
      pid: child.pid,
      name,
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
