// Dual export and the persistent queue: what forwarding spans to an OTel collector costs the
// ingest path, and what journaling the forwarding queue to disk costs on top of that.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  cpuMicrosPerSpan,
  freePort,
  makeProtobufBodies,
  median,
  pipelineYaml,
  postAll,
  SPANS_PER_REQUEST,
  startCollector,
  stopCollector,
  threadCpuNanos,
} from './harness.mjs';

const CONCURRENCY = 8;

/** A protobuf varint at `at`: [value, position after it]. Lengths here stay far below 2^53. */
function readVarint(bytes, at) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= bytes.length) throw new Error('sink: truncated varint');
    const byte = bytes[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
    scale *= 128;
  }
}

/**
 * The spans in an ExportTraceServiceRequest: `resource_spans` (1) → `scope_spans` (2) → `spans`
 * (2), every field's framing checked (a truncated or overrunning field throws). The sink counts
 * spans this way instead of decoding them: it stands for the OpenTelemetry Collector the spans
 * go to, whose receiving is no part of our collector's cost, and it shares the machine's cores
 * with the collector measured. A full decode here cost the benchmark process about 3.5 µs of CPU
 * per span, as much as the forwarding itself.
 */
export function countForwardedSpans(bytes, start = 0, end = bytes.length, depth = 0) {
  let spans = 0;
  let at = start;
  while (at < end) {
    let tag;
    [tag, at] = readVarint(bytes, at);
    const wireType = tag & 7;
    if (wireType === 0) [, at] = readVarint(bytes, at);
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      let length;
      [length, at] = readVarint(bytes, at);
      if (at + length > end) throw new Error('sink: a field overruns its message');
      const field = tag >>> 3;
      if (depth === 2 && field === 2) spans += 1;
      else if ((depth === 0 && field === 1) || (depth === 1 && field === 2)) spans += countForwardedSpans(bytes, at, at + length, depth + 1);
      at += length;
    } else throw new Error(`sink: unexpected wire type ${wireType}`);
    if (at > end) throw new Error('sink: a field overruns its message');
  }
  return spans;
}

/**
 * An OTLP/HTTP sink that counts the spans it got. Spans, not requests: the sending queue merges
 * requests waiting behind each other into one (exporter-helper README, `merge`), so how many
 * requests arrive depends on how fast the sink answers. It unzips and walks every body
 * (`countForwardedSpans`) in this process, not the collector's.
 */
async function startSink() {
  const sink = { spans: 0, waiters: [] };
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      sink.spans += countForwardedSpans(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      sink.waiters = sink.waiters.filter((w) => (sink.spans >= w.count ? (w.resolve(), false) : true));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}`;
  sink.reached = (count) => (sink.spans >= count ? Promise.resolve() : new Promise((resolve) => sink.waiters.push({ count, resolve })));
  sink.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

/** Spans per second from the first request until every request was answered and, if forwarded, every span received. */
function sendAll(port, bodies, sink) {
  const expected = sink ? sink.spans + bodies.length * SPANS_PER_REQUEST : 0;
  return postAll(port, bodies, { concurrency: CONCURRENCY, until: sink ? () => sink.reached(expected) : undefined });
}

/**
 * One measured round: spans per second, and the collector's CPU (all its threads) in µs per span
 * over the same time — the figure that stays meaningful when other work shares the machine.
 */
async function measuredRound(collector, bodies, sink) {
  const before = threadCpuNanos(collector.child.pid);
  const rate = await sendAll(collector.port, bodies, sink);
  const perSpan = cpuMicrosPerSpan(before, threadCpuNanos(collector.child.pid), bodies.length * SPANS_PER_REQUEST);
  return { rate, cpu: perSpan === null ? null : perSpan.main + perSpan.store + perSpan.checkpointer + perSpan.other, perSpan };
}

/** The per-thread µs CPU per span of a configuration's rounds (medians), for the log. */
function threadSummary(rounds) {
  const groups = ['main', 'store', 'checkpointer', 'other'];
  return groups.map((g) => `${g} ${median(rounds.map((r) => r.perSpan[g])).toFixed(2)}`).join(', ');
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
      results.single.push(await measuredRound(collectors.single, makeProtobufBodies(requestsPerRound)));
      results.memory.push(await measuredRound(collectors.memory, makeProtobufBodies(requestsPerRound), sinks.memory));
      results.persistent.push(await measuredRound(collectors.persistent, makeProtobufBodies(requestsPerRound), sinks.persistent));
    }
    const single = median(results.single.map((r) => r.rate));
    const dual = median(results.memory.map((r) => r.rate));
    const persistent = median(results.persistent.map((r) => r.rate));
    const cpuRows = [];
    if (results.single.every((r) => r.cpu !== null)) {
      const cpu = (key) => median(results[key].map((r) => r.cpu));
      for (const key of ['single', 'memory', 'persistent']) console.log(`export ${key}: µs CPU per span by thread (medians): ${threadSummary(results[key])}`);
      cpuRows.push(
        {
          name: 'dual_export_cpu_per_span',
          unit: 'µs CPU/span',
          value: cpu('memory'),
          baseline_name: 'single_export_cpu_per_span',
          baseline_value: cpu('single'),
          ratio: cpu('memory') / cpu('single'),
        },
        {
          name: 'persistent_queue_cpu_per_span',
          unit: 'µs CPU/span',
          value: cpu('persistent'),
          baseline_name: 'memory_queue_cpu_per_span',
          baseline_value: cpu('memory'),
          ratio: cpu('persistent') / cpu('memory'),
        },
      );
    }
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
      ...cpuRows,
    ];
  } finally {
    for (const { child } of Object.values(collectors)) await stopCollector(child);
    await Promise.all(Object.values(sinks).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
