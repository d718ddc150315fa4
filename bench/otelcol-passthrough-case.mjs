// The OpenTelemetry Collector side by side with ours (#15, item 6): the same load generator, the
// same machine, one run, OTLP/HTTP protobuf → batch → otlphttp pass-through, spans per second and
// CPU seconds per million spans of each collector process, and the ratio ours/theirs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { SPANS_PER_REQUEST, freePort, makeProtobufBodies, median, postAll, startCollector, stopCollector } from './harness.mjs';

const CONCURRENCY = 16;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** An OTLP/HTTP sink that counts the spans it got (both collectors regroup them in batches). */
async function startSpanSink() {
  const sink = { spans: 0, waiters: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { resourceSpans } = decodeTraceRequestProtobuf(Buffer.concat(chunks));
      for (const r of resourceSpans) for (const s of r.scopeSpans) sink.spans += s.spans.length;
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      sink.waiters = sink.waiters.filter((w) => (sink.spans >= w.count ? (w.resolve(), false) : true));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}`;
  sink.reached = (count) => (sink.spans >= count ? Promise.resolve() : new Promise((resolve) => sink.waiters.push({ count, resolve })));
  sink.close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return sink;
}

/** User plus system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The same pass-through pipeline for both: a deployment's batch settings, otlphttp without compression. */
function pipeline(receiverPort, sinkUrl) {
  return {
    receivers: `receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:${receiverPort}\n`,
    rest: `processors:\n  batch:\n    send_batch_size: 8192\n    timeout: 200ms\nexporters:\n  otlphttp:\n    endpoint: ${sinkUrl}\n    compression: none\n`,
    service: `    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlphttp]\n`,
  };
}

async function startOurs(root, dir, sinkUrl) {
  const [port, health] = [await freePort(), await freePort()];
  const p = pipeline(port, sinkUrl);
  const yaml = `${p.receivers}${p.rest}extensions:\n  health_check:\n    endpoint: 127.0.0.1:${health}\nservice:\n  extensions: [health_check]\n  pipelines:\n${p.service}  telemetry:\n    logs:\n      level: warn\n    metrics:\n      level: none\n`;
  const child = await startCollector(root, dir, 'ours', yaml, health);
  return { child, port, stop: () => stopCollector(child) };
}

async function startTheirs(binary, dir, sinkUrl) {
  const port = await freePort();
  const p = pipeline(port, sinkUrl);
  const config = join(dir, 'otelcol.yaml');
  writeFileSync(config, `${p.receivers}${p.rest}service:\n  pipelines:\n${p.service}  telemetry:\n    logs:\n      level: warn\n    metrics:\n      level: none\n`);
  const child = spawn(binary, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  // At log level warn otelcol says nothing when ready, so readiness is its receiver answering.
  for (let i = 0; i < 300; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { child, port, stop: () => stopCollector(child) };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`otelcol did not start:\n${output}`);
}

async function round(target, sink, bodies) {
  const expected = sink.spans + bodies.length * SPANS_PER_REQUEST;
  const cpuBefore = cpuSeconds(target.child.pid);
  const spansPerSecond = await postAll(target.port, bodies, { concurrency: CONCURRENCY, until: () => sink.reached(expected) });
  const cpu = cpuSeconds(target.child.pid) - cpuBefore;
  // Milliseconds (the table rounds to integers): CPU ms per million spans = CPU s per thousand.
  return { spansPerSecond, cpuMsPerMillion: (cpu * 1e3 * 1e6) / (bodies.length * SPANS_PER_REQUEST) };
}

export async function otelcolPassthroughCase({ quick, root }) {
  const build = spawnSync('bash', [join(root, 'scripts/peers/otelcol-build.sh')], { encoding: 'utf8' });
  if (build.status !== 0) {
    console.log(`otelcol pass-through case skipped: the OpenTelemetry Collector peer is not available (${build.stderr.trim().split('\n').pop()})`);
    return [];
  }
  const binary = build.stdout.trim();
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 100 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-otelcol-'));
  const sinks = { ours: await startSpanSink(), theirs: await startSpanSink() };
  const targets = { ours: await startOurs(root, dir, sinks.ours.url), theirs: await startTheirs(binary, dir, sinks.theirs.url) };
  try {
    const warmup = makeProtobufBodies(50);
    for (const key of ['ours', 'theirs']) await round(targets[key], sinks[key], warmup);
    const results = { ours: [], theirs: [] };
    for (let r = 0; r < rounds; r++) {
      // Interleaved, so drift on a noisy machine touches both alike.
      for (const key of ['ours', 'theirs']) results[key].push(await round(targets[key], sinks[key], makeProtobufBodies(requestsPerRound)));
    }
    const throughput = (key) => median(results[key].map((x) => x.spansPerSecond));
    const cpu = (key) => median(results[key].map((x) => x.cpuMsPerMillion));
    return [
      { name: 'otelcol_passthrough_spans_per_s', unit: 'spans/s', value: throughput('ours'), baseline_name: 'otelcol_v0.161.0', baseline_value: throughput('theirs'), ratio: throughput('ours') / throughput('theirs') },
      { name: 'otelcol_passthrough_cpu_per_million_spans', unit: 'CPU ms/M spans', value: cpu('ours'), baseline_name: 'otelcol_v0.161.0', baseline_value: cpu('theirs'), ratio: cpu('ours') / cpu('theirs') },
    ];
  } finally {
    await Promise.all([targets.ours.stop(), targets.theirs.stop()]);
    await Promise.all([sinks.ours.close(), sinks.theirs.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
