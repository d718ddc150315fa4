// The production layout of docs/deployment.md, every tier a process on this machine, against one
// collector doing the same work: end-to-end spans/s until every decision (with its trace's
// tail-sampling verdict) is in PostgreSQL. Left out, with the reason printed, when NATS
// JetStream or PostgreSQL does not answer.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import pg from 'pg';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { freePort, median, SPANS_PER_REQUEST, startCollector } from './harness.mjs';
import { makeRequest } from './workload.mjs';

const NATS_URL = process.env.DECISION_TRACE_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const POSTGRES_URL = process.env.DECISION_TRACE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SAMPLERS = 3;
const WRITERS = 2;
const CONCURRENCY = 16;
/** Requests whose spans are shuffled together: a trace's spans arrive close together, in several batches. */
const SHUFFLE_WINDOW = 10;
const DECISION_WAIT = '1s';
const DRAIN_TIMEOUT_MS = 180_000;

/** The sampling-case policies: drop health checks, keep errors, slow traces, risky refunds and 10%. */
const TAIL_SAMPLING = `  tail_sampling:
    decision_wait: ${DECISION_WAIT}
    policies:
      - name: no-health
        type: drop
        drop:
          drop_sub_policy:
            - { name: health, type: string_attribute, string_attribute: { key: url.path, values: ['^/health'], enabled_regex_matching: true } }
      - { name: errors, type: status_code, status_code: { status_codes: [ERROR] } }
      - { name: slow, type: latency, latency: { threshold_ms: 5000 } }
      - { name: risky-refunds, type: decision, decision: { type: 'refund.*', outcome: approved, confidence_below: 0.6 } }
      - { name: baseline, type: probabilistic, probabilistic: { sampling_percentage: 10 } }
`;

const telemetry = `  telemetry:\n    logs: { level: warn }\n    metrics: { level: none }\n  shutdown_timeout: 2s\n`;

export async function topologyCase({ quick, root }) {
  const unavailable = (await natsUnavailable()) ?? (await postgresUnavailable());
  if (unavailable) {
    console.log(`topology case skipped: ${unavailable}`);
    return [];
  }
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 40 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-topology-'));
  const tag = randomBytes(4).toString('hex');
  const stream = `DT_BENCH_TOPOLOGY_${tag}`.toUpperCase();
  const subject = `dt_bench.${tag}.events`;
  const layoutStore = await storeOf(`dt_bench_layout_${tag}`);
  const singleStore = await storeOf(`dt_bench_single_${tag}`).catch(async (error) => {
    await layoutStore.drop();
    throw error;
  });
  /** Every child with its tier, in stopping order (the router first: its queue drains to running samplers). */
  const processes = [];
  try {
    // Writers first, one after the other: the first creates the stream and the durable consumer.
    for (let i = 0; i < WRITERS; i++) processes.push({ tier: 'writer', child: await startWriter(root, { stream, subject, storage: layoutStore.storage }) });

    // Ports are taken one after the other: a port freed by one look-up may be handed out again.
    const samplerPorts = [];
    for (let i = 0; i < SAMPLERS; i++) samplerPorts.push({ grpc: await freePort(), health: await freePort() });
    const started = await Promise.allSettled(
      samplerPorts.map(async ({ grpc, health }, i) => {
        const yaml = `receivers:\n  otlp:\n    protocols:\n      grpc: { endpoint: 127.0.0.1:${grpc} }\nprocessors:\n  decision: {}\n${TAIL_SAMPLING}exporters:\n  decisions:\n    nats: { url: ${NATS_URL}, stream: ${stream}, subject: ${subject} }\nextensions:\n  health_check: { endpoint: 127.0.0.1:${health} }\nservice:\n  extensions: [health_check]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [decision, tail_sampling]\n      exporters: [decisions]\n${telemetry}`;
        processes.push({ tier: 'sampler', child: await startCollector(root, dir, `sampler-${i}`, yaml, health) });
      }),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const samplers = samplerPorts.map(({ grpc }) => `127.0.0.1:${grpc}`);

    const [routerHttp, routerHealth] = [await freePort(), await freePort()];
    const routerYaml = `receivers:\n  otlp:\n    protocols:\n      http: { endpoint: 127.0.0.1:${routerHttp} }\nexporters:\n  load_balancing:\n    routing_key: traceID\n    protocol:\n      otlp:\n        tls: { insecure: true }\n        sending_queue: { queue_size: 10000, storage: ${join(dir, 'router-queue')} }\n        retry_on_failure: { initial_interval: 200ms, max_interval: 1s, max_elapsed_time: 0 }\n    resolver:\n      static: { hostnames: [${samplers.join(', ')}] }\nextensions:\n  health_check: { endpoint: 127.0.0.1:${routerHealth} }\nservice:\n  extensions: [health_check]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [load_balancing]\n${telemetry}`;
    processes.unshift({ tier: 'router', child: await startCollector(root, dir, 'router', routerYaml, routerHealth) });

    const [singleHttp, singleHealth] = [await freePort(), await freePort()];
    const singleYaml = `receivers:\n  otlp:\n    protocols:\n      http: { endpoint: 127.0.0.1:${singleHttp} }\nprocessors:\n  decision: {}\n${TAIL_SAMPLING}exporters:\n  decisions:\n    storage: '${singleStore.storage}'\n    store_context_spans: false\nextensions:\n  health_check: { endpoint: 127.0.0.1:${singleHealth} }\nservice:\n  extensions: [health_check]\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [decision, tail_sampling]\n      exporters: [decisions]\n${telemetry}`;
    processes.push({ tier: 'single collector', child: await startCollector(root, dir, 'single', singleYaml, singleHealth) });

    const layout = { port: routerHttp, store: layoutStore, refused: 0 };
    const single = { port: singleHttp, store: singleStore, refused: 0 };
    const warmup = shuffledInput(20, 'warmup');
    await sendAndDrain(layout, warmup);
    await sendAndDrain(single, warmup);
    const results = { layout: [], single: [] };
    const cpuBefore = processes.map(({ child }) => cpuSeconds(child.pid));
    for (let round = 0; round < rounds; round++) {
      // The same input for both, interleaved, so drift on a noisy machine touches both alike.
      const input = shuffledInput(requestsPerRound, `round-${round}`);
      results.layout.push(await sendAndDrain(layout, input));
      results.single.push(await sendAndDrain(single, input));
    }
    reportCpu(processes, cpuBefore, rounds * requestsPerRound * SPANS_PER_REQUEST);
    if (layout.refused + single.refused > 0) {
      console.log(`topology case: requests refused and retried after Retry-After: layout ${layout.refused}, single collector ${single.refused}`);
    }
    const value = median(results.layout);
    const baseline = median(results.single);
    return [
      {
        name: 'topology_3_samplers_nats_postgres',
        unit: 'spans/s',
        value,
        baseline_name: 'single_collector_tail_sampling_postgres',
        baseline_value: baseline,
        ratio: value / baseline,
        spans_per_round: requestsPerRound * SPANS_PER_REQUEST,
      },
    ];
  } finally {
    for (const { child } of processes) await stop(child);
    await deleteStream(stream).catch((error) => console.log(`topology case: could not delete stream ${stream}: ${error.message}`));
    await layoutStore.drop();
    await singleStore.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * makeRequest's traces (10 spans, one decision each), the spans of every SHUFFLE_WINDOW requests
 * shuffled together and cut again into requests of 100: each trace reaches the collector in
 * several requests, in no order, as from many SDK exporters behind a front load balancer. The
 * round's decisions get a tenant of their own, so its completion is counted on the round alone.
 */
function shuffledInput(count, tenant) {
  const bodies = [];
  let decisions = 0;
  for (let offset = 0; offset < count; offset += SHUFFLE_WINDOW) {
    const requests = Array.from({ length: Math.min(SHUFFLE_WINDOW, count - offset) }, () => makeRequest(SPANS_PER_REQUEST)[0]);
    const spans = requests.flatMap((r) => r.scopeSpans[0].spans);
    for (const span of spans) {
      if (span.attributes['decision.type'] === undefined) continue;
      span.attributes['decision.tenant_id'] = tenant;
      decisions += 1;
    }
    for (let i = spans.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [spans[i], spans[j]] = [spans[j], spans[i]];
    }
    const { resource, scopeSpans } = requests[0];
    for (let at = 0; at < spans.length; at += SPANS_PER_REQUEST) {
      const resourceSpans = [{ resource, scopeSpans: [{ ...scopeSpans[0], spans: spans.slice(at, at + SPANS_PER_REQUEST) }], schemaUrl: '' }];
      bodies.push(Buffer.from(encodeTraceRequestProtobuf(resourceSpans)));
    }
  }
  return { bodies, tenant, decisions };
}

/** Spans per second from the first request until the target's store holds every decision with its trace's verdict. */
async function sendAndDrain(target, { bodies, tenant, decisions }) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        // A full queue answers 503/429: wait as told and send again, as an OTLP exporter does.
        for (let wait = await post(agent, target.port, body); wait !== undefined; wait = await post(agent, target.port, body)) {
          target.refused += 1;
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    }),
  );
  await target.store.decided(tenant, decisions);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return (bodies.length * SPANS_PER_REQUEST) / seconds;
}

/** User + system CPU time of a process so far (Linux /proc; clock ticks of 1/100 s), or undefined. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds each tier spent per 100,000 spans of the measured rounds: what sizing starts from. */
function reportCpu(processes, before, spans) {
  const perTier = new Map();
  processes.forEach(({ tier, child }, i) => {
    const after = cpuSeconds(child.pid);
    if (after === undefined || before[i] === undefined) return;
    const entry = perTier.get(tier) ?? { seconds: 0, count: 0 };
    entry.seconds += after - before[i];
    entry.count += 1;
    perTier.set(tier, entry);
  });
  if (perTier.size === 0) return;
  const per100k = (seconds) => ((seconds * 100_000) / spans).toFixed(2);
  const parts = [...perTier].map(([tier, { seconds, count }]) => `${tier}${count > 1 ? `s (${count} together)` : ''} ${per100k(seconds)} s`);
  console.log(`topology case: CPU per 100,000 spans: ${parts.join(', ')}`);
}

/** Resolves undefined on 200, the milliseconds to wait on 429/503; rejects on anything else. */
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
        res.on('end', () => {
          if (res.statusCode === 200) resolve(undefined);
          else if (res.statusCode === 429 || res.statusCode === 503) resolve(Math.max(100, Number(res.headers['retry-after'] ?? 1) * 1000));
          else reject(new Error(`HTTP ${res.statusCode}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A schema of its own in the PostgreSQL database, and how to see that a tenant's decisions are
 * all there with their verdicts: a decision whose trace was decided after it arrived has a second
 * event (its `decision.sampling`); one that arrived after the verdict carries it in its only event.
 */
async function storeOf(schema) {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const progress = async (tenant) => {
    const result = await client
      .query(
        `SELECT count(*)::int AS stored,
                count(*) FILTER (WHERE event_count = 1 AND (record::jsonb ->> 'trace_sampled') IS NULL)::int AS waiting
         FROM ${schema}.decisions WHERE tenant_id = $1`,
        [tenant],
      )
      .catch(() => ({ rows: [{ stored: 0, waiting: 0 }] }));
    return result.rows[0];
  };
  return {
    storage: url.toString(),
    async decided(tenant, expected) {
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      for (let now = await progress(tenant); now.stored < expected || now.waiting > 0; now = await progress(tenant)) {
        if (Date.now() > deadline) {
          throw new Error(
            `topology case: ${schema} holds ${now.stored} of ${expected} decisions of ${tenant}, ${now.waiting} without a verdict, after ${DRAIN_TIMEOUT_MS / 1000} s`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error) => console.log(`topology case: could not drop ${schema}: ${error.message}`));
      await client.end();
    },
  };
}

/** `decision-trace ingest` from the build; resolves once it consumes. */
async function startWriter(root, { stream, subject, storage }) {
  const child = spawn(
    process.execPath,
    [join(root, 'packages/collector/dist/cli.js'), 'ingest', '--from', NATS_URL, '--stream', stream, '--subject', subject, '--storage', storage],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingest did not start:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('"ingest started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ingest exited with ${code}:\n${output}`));
    });
  });
  // Warnings and errors only from here on (the writer logs at info).
  child.stdout.removeAllListeners('data');
  child.stdout.on('data', (chunk) => {
    if (/"level":(40|50|60)/.test(String(chunk))) process.stdout.write(chunk);
  });
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function natsUnavailable() {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000 });
    try {
      await nc.jetstreamManager({ timeout: 2000 });
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (error) {
    return `NATS JetStream not reachable at ${NATS_URL} (${error.message})`;
  }
}

async function postgresUnavailable() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${new URL(POSTGRES_URL).host} (${error.message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function deleteStream(stream) {
  const nc = await connect({ servers: NATS_URL, timeout: 2000 });
  try {
    await (await nc.jetstreamManager()).streams.delete(stream);
  } finally {
    await nc.close();
  }
}
