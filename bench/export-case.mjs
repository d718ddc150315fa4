// Dual export and the persistent queue: what forwarding spans to an OTel collector costs the
// ingest path, and what journaling the forwarding queue to disk costs on top of that.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, makeProtobufBodies, median, pipelineYaml, postAll, startCollector, stopCollector } from './harness.mjs';

const CONCURRENCY = 8;

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
  sink.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

/** Spans per second from the first request until every request was answered and, if forwarded, received. */
function sendAll(port, bodies, sink) {
  const expected = sink ? sink.requests + bodies.length : 0;
  return postAll(port, bodies, { concurrency: CONCURRENCY, until: sink ? () => sink.reached(expected) : undefined });
}

async function startExportCollector(root, dir, name, exporters, exporterIds) {
  const [http, health] = [await freePort(), await freePort()];
  const receiver = `      http:\n        endpoint: 127.0.0.1:${http}\n`;
  const child = await startCollector(root, dir, name, pipelineYaml({ dir, name, receiver, healthPort: health, exporters, exporterIds }), health);
  return { child, port: http };
}

export async function exportCase({ quick, root }) {
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 200 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-export-'));
  const sinks = { memory: await startSink(), persistent: await startSink() };
  const otlphttp = (sink, queue) => `  otlphttp:\n    endpoint: ${sink.url}\n    sending_queue:\n      queue_size: 5000\n${queue}`;
  const collectors = {
    single: await startExportCollector(root, dir, 'single', '', 'decisions'),
    memory: await startExportCollector(root, dir, 'memory', otlphttp(sinks.memory, ''), 'decisions, otlphttp'),
    persistent: await startExportCollector(
      root,
      dir,
      'persistent',
      otlphttp(sinks.persistent, `      storage: ${join(dir, 'queue')}\n`),
      'decisions, otlphttp',
    ),
  };
  try {
    const warmup = makeProtobufBodies(50);
    await sendAll(collectors.single.port, warmup);
    await sendAll(collectors.memory.port, warmup, sinks.memory);
    await sendAll(collectors.persistent.port, warmup, sinks.persistent);
    const results = { single: [], memory: [], persistent: [] };
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so drift on a noisy machine touches every configuration alike.
      results.single.push(await sendAll(collectors.single.port, makeProtobufBodies(requestsPerRound)));
      results.memory.push(await sendAll(collectors.memory.port, makeProtobufBodies(requestsPerRound), sinks.memory));
      results.persistent.push(await sendAll(collectors.persistent.port, makeProtobufBodies(requestsPerRound), sinks.persistent));
    }
    const single = median(results.single);
    const dual = median(results.memory);
    const persistent = median(results.persistent);
    return [
      { name: 'dual_export_ingest', unit: 'spans/s', value: dual, baseline_name: 'single_export_ingest', baseline_value: single, ratio: dual / single },
      {
        name: 'persistent_queue_ingest',
        unit: 'spans/s',
        value: persistent,
        baseline_name: 'memory_queue_ingest',
        baseline_value: dual,
        ratio: persistent / dual,
      },
    ];
  } finally {
    for (const { child } of Object.values(collectors)) await stopCollector(child);
    await Promise.all(Object.values(sinks).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
