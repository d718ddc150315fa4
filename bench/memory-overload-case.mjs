// Issue #19, "memory": the default pipeline under sustained overload — far more clients than the
// store can commit for — with the collector's RSS sampled from /proc every 100 ms. Reports the
// peak RSS and when the first 429/503 with Retry-After came, and the RSS at that moment, for the
// default pipeline as shipped and for the same pipeline with memory_limiter first
// (docs/deployment.md states the bound that follows from its configuration). Opt-in
// (`node bench/run.mjs --update memory_overload`): it runs the collector into overload on purpose,
// which a shared CI machine should not be put through on every run.
//
// The clients behave as OpenTelemetry exporters do: each posts distinct OTLP/HTTP protobuf
// requests of 100 spans back to back and, on 429/503, waits the Retry-After it was given before
// sending the same request again.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { freePort, makeProtobufBodies, pipelineYaml, startCollector, stopCollector } from './harness.mjs';

const MiB = 1024 * 1024;
/** Clients posting at once: the store commits far fewer requests per second than they send. */
const CLIENTS = 1000;
const BODIES = 4000;
const SAMPLE_MS = 100;
/** The memory_limiter variant's settings, as docs/deployment.md recommends them. */
export const LIMITER = { check_interval: '1s', limit_mib: 512, spike_limit_mib: 128 };

export async function memoryOverloadCase({ quick, root }) {
  const seconds = quick ? 8 : Number(process.env.DT_BENCH_MEMORY_SECONDS ?? 60);
  const clients = quick ? 100 : Number(process.env.DT_BENCH_MEMORY_CLIENTS ?? CLIENTS);
  const only = process.env.DT_BENCH_MEMORY_VARIANT;
  const bodies = makeProtobufBodies(quick ? 500 : BODIES);
  const rows = [];
  for (const [variant, processors] of [
    ['default_pipeline', ''],
    [
      'memory_limiter',
      `  memory_limiter:\n    check_interval: ${LIMITER.check_interval}\n    limit_mib: ${LIMITER.limit_mib}\n    spike_limit_mib: ${LIMITER.spike_limit_mib}\n`,
    ],
  ]) {
    if (only !== undefined && only !== variant) continue;
    const result = await overload({ root, variant, processors, bodies, clients, seconds });
    const load = loadavg().map((n) => Number(n.toFixed(2)));
    console.log(
      `memory overload (${variant}): idle ${mib(result.idleRss)} MiB, peak ${mib(result.peakRss)} MiB; ${result.accepted} accepted, ${result.refused} refused, ${result.closedConnections} connections closed by the receiver` +
        (result.firstRefusal === null
          ? '; no refusal'
          : `; first ${result.firstRefusal.status} after ${result.firstRefusal.seconds.toFixed(1)} s at ${mib(result.firstRefusal.rss)} MiB RSS`),
    );
    rows.push({
      name: `memory_overload_peak_rss_${variant}`,
      unit: 'MiB',
      value: mib(result.peakRss),
      baseline_name: 'idle_rss_after_start',
      baseline_value: mib(result.idleRss),
      ratio: result.peakRss / result.idleRss,
      clients,
      seconds,
      accepted_requests: result.accepted,
      refused_requests: result.refused,
      closed_connections: result.closedConnections,
      load_average: load,
    });
    rows.push({
      name: `memory_overload_rss_at_first_refusal_${variant}`,
      unit: 'MiB',
      // No refusal at all: the row shows the peak and says so in its baseline name.
      value: result.firstRefusal === null ? mib(result.peakRss) : mib(result.firstRefusal.rss),
      baseline_name:
        result.firstRefusal === null
          ? 'no_429_503_in_the_run:_peak_rss'
          : `peak_rss (first ${result.firstRefusal.status} after ${result.firstRefusal.seconds.toFixed(1)} s)`,
      baseline_value: mib(result.peakRss),
      ratio: result.firstRefusal === null ? 1 : result.firstRefusal.rss / result.peakRss,
      load_average: load,
    });
  }
  return rows;
}

function mib(bytes) {
  return Math.round(bytes / MiB);
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

async function overload({ root, variant, processors, bodies, clients, seconds }) {
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-memory-'));
  const [http, health] = [await freePort(), await freePort()];
  const receiver = `      http:\n        endpoint: 127.0.0.1:${http}\n`;
  let yaml = pipelineYaml({ dir, name: variant, receiver, healthPort: health });
  if (processors !== '') {
    yaml = yaml
      .replace('processors:\n  decision: {}\n', `processors:\n${processors}  decision: {}\n`)
      .replace('processors: [decision]', 'processors: [memory_limiter, decision]');
  }
  const child = await startCollector(root, dir, variant, yaml, health);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = rssOf(child.pid);
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    let peakRss = idleRss;
    let firstRefusal = null;
    const series = [];
    const sampler = setInterval(() => {
      try {
        const rss = rssOf(child.pid);
        peakRss = Math.max(peakRss, rss);
        if (series.length === 0 || elapsed() - series.at(-1)[0] >= 5) series.push([elapsed(), rss]);
      } catch {
        // The collector ended (an out-of-memory would): the exit is reported below.
      }
    }, SAMPLE_MS);
    const agent = new Agent({ keepAlive: true, maxSockets: clients });
    let next = 0;
    let accepted = 0;
    let refused = 0;
    let closedConnections = 0;
    let failed = null;
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        let body = bodies[next++ % bodies.length];
        while (Date.now() < deadline && failed === null) {
          let answer;
          try {
            answer = await post(agent, http, body);
          } catch (error) {
            // Connections beyond the receiver's max_connections are closed as they arrive: an
            // exporter retries those after its backoff, as here.
            if (error.code !== 'ECONNRESET') {
              failed = error;
              break;
            }
            closedConnections++;
            await new Promise((r) => setTimeout(r, 1000));
            continue;
          }
          if (answer.status === 200) {
            accepted++;
            body = bodies[next++ % bodies.length];
            continue;
          }
          if ((answer.status === 429 || answer.status === 503) && answer.retryAfter !== undefined) {
            refused++;
            if (firstRefusal === null) firstRefusal = { status: answer.status, seconds: elapsed(), rss: rssOf(child.pid) };
            await new Promise((r) => setTimeout(r, Number(answer.retryAfter) * 1000));
            continue;
          }
          failed = new Error(`HTTP ${answer.status} without Retry-After`);
        }
      }),
    );
    clearInterval(sampler);
    agent.destroy();
    if (failed !== null) throw new Error(`memory overload (${variant}): ${failed.message} (collector exit code ${child.exitCode})`);
    peakRss = Math.max(peakRss, rssOf(child.pid));
    console.log(`memory overload (${variant}): RSS every 5 s: ${series.map(([t, rss]) => `${t.toFixed(0)}s ${mib(rss)}`).join(', ')} MiB`);
    return { idleRss, peakRss, firstRefusal, accepted, refused, closedConnections };
  } finally {
    if (child.exitCode === null) await stopCollector(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
