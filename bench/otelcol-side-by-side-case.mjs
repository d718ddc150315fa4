// The OpenTelemetry Collector side by side with ours (#15, item 6): the same load generator, the
// same machine, one run, for OTLP/HTTP protobuf → batch → otlphttp pass-through, tail_sampling
// (one policy set for both) and probabilistic_sampler (hash_seed and proportional): spans per
// second and CPU seconds per million spans of each collector process, and the ratio ours/theirs.
// Every round is checked: the sink must receive exactly the spans of exactly the traces the
// configuration keeps, so a fast-but-wrong collector fails the benchmark instead of winning it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { ManualClock, ProbabilisticSpanSampler, buildPolicy } from '@decision-trace/sampling';
import { SPANS_PER_REQUEST, freePort, makeProtobufBodies, median, postAll, startCollector, stopCollector } from './harness.mjs';
import { makeRequest } from './workload.mjs';

const CONCURRENCY = 16;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const BASELINE = 'otelcol_v0.161.0';
/** A deployment's batch settings, after the sampler (otelcol's tail_sampling sends each kept trace on its own). */
const BATCH = { send_batch_size: 8192, timeout: '200ms' };
/** How long a round may take beyond its ingest before it counts as lost spans rather than slowness. */
const DELIVERY_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Scenarios: the processors block both collectors get, the request bodies, and what must arrive.

/**
 * tail_sampling with a production-like policy set: health checks dropped, errors, slow traces,
 * a VIP tier, slow-and-gold (`and`), and a 10 % probabilistic baseline. decision_wait is 1 s
 * (otelcol decides on a 1 s ticker; shorter waits are rounded up to it there).
 */
const TAIL_DECISION_WAIT_MS = 1000;
const TAIL_SALT = 'side-by-side';
const TAIL_PERCENT = 10;
const TAIL_SAMPLING = {
  decision_wait: `${TAIL_DECISION_WAIT_MS}ms`,
  // The Collector's default: both keep decided traces until this many newer ones push them out, so from the
  // second round on every new trace evicts one, as in a collector that has been running a while.
  num_traces: 50_000,
  policies: [
    {
      name: 'no-health-checks',
      type: 'drop',
      drop: {
        drop_sub_policy: [
          { name: 'health', type: 'string_attribute', string_attribute: { key: 'url.path', values: ['^/health'], enabled_regex_matching: true } },
        ],
      },
    },
    { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
    { name: 'slow', type: 'latency', latency: { threshold_ms: 5000 } },
    { name: 'vip', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['platinum'] } },
    {
      name: 'slow-gold',
      type: 'and',
      and: {
        and_sub_policy: [
          { name: 'slowish', type: 'latency', latency: { threshold_ms: 1000 } },
          { name: 'gold', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['gold'] } },
        ],
      },
    },
    { name: 'baseline', type: 'probabilistic', probabilistic: { hash_salt: TAIL_SALT, sampling_percentage: TAIL_PERCENT } },
  ],
};

let traceCounter = 0;

/**
 * The workload's requests (10 traces × 10 spans), each trace given what the policies look at, by
 * its running number k: a tier on the root (gold, silver, bronze, none; platinum every 97th), an
 * error every 13th, a 6 s root every 11th and a 2 s root every 5th (else ~10 ms), a health
 * check every 50th. `facts` says what each trace is, for the expected verdicts.
 */
function makeTailBodies(count) {
  const bodies = [];
  const facts = new Map();
  for (let i = 0; i < count; i++) {
    const resourceSpans = makeRequest(SPANS_PER_REQUEST);
    const spans = resourceSpans[0].scopeSpans[0].spans;
    for (let t = 0; t < spans.length; t += 10) {
      const k = traceCounter++;
      const root = spans[t];
      const tier = k % 97 === 0 ? 'platinum' : ['gold', 'silver', 'bronze', undefined][k % 4];
      if (tier) root.attributes['user.tier'] = tier;
      const error = k % 13 === 0;
      if (error) spans[t + 3].status = { code: 2, message: 'upstream timeout' };
      const durationMs = k % 11 === 0 ? 6000 : k % 5 === 0 ? 2000 : 0;
      if (durationMs) root.endTimeUnixNano = root.startTimeUnixNano + BigInt(durationMs) * 1_000_000n;
      const health = k % 50 === 25;
      if (health) root.attributes['url.path'] = '/healthz';
      facts.set(root.traceId, { tier, error, durationMs, health, spans: 10 });
    }
    bodies.push(Buffer.from(encodeTraceRequestProtobuf(resourceSpans)));
  }
  return { bodies, facts };
}

/** The verdict the policy set means, written out by hand (the probabilistic hash is the Collector's FNV-1a). */
function tailExpected(facts) {
  const probabilistic = buildPolicy(
    { name: 'baseline', type: 'probabilistic', probabilistic: { hash_salt: TAIL_SALT, sampling_percentage: TAIL_PERCENT } },
    new ManualClock(0),
  );
  const kept = new Map();
  for (const [traceId, f] of facts) {
    if (f.health) continue;
    const keep =
      f.error ||
      f.durationMs > 5000 ||
      f.tier === 'platinum' ||
      (f.durationMs > 1000 && f.tier === 'gold') ||
      probabilistic.evaluate({ traceId }) === 'sampled';
    if (keep) kept.set(traceId, f.spans);
  }
  return kept;
}

/** Plain workload bodies and the traces in them (every span of every trace). */
function makePlainBodies(count) {
  const bodies = makeProtobufBodies(count);
  const facts = new Map();
  for (const body of bodies) {
    for (const rs of decodeTraceRequestProtobuf(body).resourceSpans) {
      for (const ss of rs.scopeSpans) for (const span of ss.spans) facts.set(span.traceId, (facts.get(span.traceId) ?? 0) + 1);
    }
  }
  return { bodies, facts };
}

/** probabilistic_sampler's verdict per trace (no tracestate in the workload, so a trace is all in or all out). */
function probabilisticExpected(config) {
  const sampler = new ProbabilisticSpanSampler(config);
  return (facts) => {
    const kept = new Map();
    for (const [traceId, spans] of facts) if (sampler.decide({ traceId, traceState: '', attributes: {} }).sampled) kept.set(traceId, spans);
    return kept;
  };
}

const HASH_SEED = { mode: 'hash_seed', hash_seed: 22, sampling_percentage: 25 };
const PROPORTIONAL = { mode: 'proportional', sampling_percentage: 25 };

const SCENARIOS = {
  passthrough: { processors: {}, chain: [], bodies: makePlainBodies, expected: (facts) => facts, settleMs: 0 },
  tail_sampling: {
    processors: { tail_sampling: TAIL_SAMPLING },
    chain: ['tail_sampling'],
    bodies: makeTailBodies,
    expected: tailExpected,
    settleMs: TAIL_DECISION_WAIT_MS,
    // otelcol decides on a 1 s ticker (ours every 100 ms at this decision_wait): up to a second of its
    // round is waiting for the tick, so rounds are long enough (300,000 spans) for that to be noise.
    requestsPerRound: 3000,
  },
  probabilistic_hash_seed: {
    processors: { probabilistic_sampler: HASH_SEED },
    chain: ['probabilistic_sampler'],
    bodies: makePlainBodies,
    expected: probabilisticExpected(HASH_SEED),
    settleMs: 0,
  },
  probabilistic_proportional: {
    processors: { probabilistic_sampler: PROPORTIONAL },
    chain: ['probabilistic_sampler'],
    bodies: makePlainBodies,
    expected: probabilisticExpected(PROPORTIONAL),
    settleMs: 0,
  },
};

// ---------------------------------------------------------------------------------------------
// The sink, the two collectors, one round.

/** An OTLP/HTTP sink that counts the spans of each trace, and the requests, it got since the last reset. */
async function startSpanSink() {
  const sink = { spans: 0, requests: 0, byTrace: new Map(), waiters: [] };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { resourceSpans } = decodeTraceRequestProtobuf(Buffer.concat(chunks));
      sink.requests += 1;
      for (const r of resourceSpans) {
        for (const s of r.scopeSpans) {
          for (const span of s.spans) sink.byTrace.set(span.traceId, (sink.byTrace.get(span.traceId) ?? 0) + 1);
          sink.spans += s.spans.length;
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      sink.waiters = sink.waiters.filter((w) => (sink.spans >= w.count ? (w.resolve(), false) : true));
    });
  });
  // Connections stay open across rounds: with Node's 5 s default an exporter idle while the other
  // collector's round runs can write into a socket the sink is just closing (EPIPE, then a retry
  // after backoff), which would time the race, not the collector.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}`;
  sink.reset = () => {
    sink.spans = 0;
    sink.requests = 0;
    sink.byTrace = new Map();
  };
  /** Resolves once `count` spans arrived; rejects after `ms` (spans lost, or a wrong verdict kept too few). */
  sink.reached = (count, ms) =>
    sink.spans >= count
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the sink got ${sink.spans} of ${count} expected spans within ${ms / 1000} s`)), ms);
          sink.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
        });
  sink.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

/** The traces the sink holds are exactly `expected` (trace id → spans), or an error saying how not. */
function checkVerdicts(who, sink, expected) {
  const missing = [...expected].filter(([id, n]) => sink.byTrace.get(id) !== n);
  const extra = [...sink.byTrace.keys()].filter((id) => !expected.has(id));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${who}: wrong spans at the sink: ${missing.length} expected traces missing or incomplete, ${extra.length} traces that should have been dropped`,
    );
  }
}

/** User plus system CPU seconds a process (all its threads) has used so far (Linux /proc). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The pipeline both collectors run: otlp/http → the scenario's processors → batch → otlphttp (uncompressed). */
function pipelineConfig(scenario, receiverPort, sinkUrl) {
  return {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${receiverPort}` } } } },
    processors: { ...scenario.processors, batch: BATCH },
    exporters: { otlphttp: { endpoint: sinkUrl, compression: 'none' } },
    pipelines: { traces: { receivers: ['otlp'], processors: [...scenario.chain, 'batch'], exporters: ['otlphttp'] } },
  };
}

const TELEMETRY = { logs: { level: 'warn' }, metrics: { level: 'none' } };

async function startOurs(root, dir, scenario, sinkUrl) {
  const [port, health] = [await freePort(), await freePort()];
  const { pipelines, ...components } = pipelineConfig(scenario, port, sinkUrl);
  const config = {
    ...components,
    extensions: { health_check: { endpoint: `127.0.0.1:${health}` } },
    service: { extensions: ['health_check'], pipelines, telemetry: TELEMETRY },
  };
  const child = await startCollector(root, dir, 'ours', stringify(config), health);
  return { child, port, stop: () => stopCollector(child) };
}

async function startTheirs(binary, dir, scenario, sinkUrl) {
  const port = await freePort();
  const { pipelines, ...components } = pipelineConfig(scenario, port, sinkUrl);
  const config = join(dir, 'otelcol.yaml');
  writeFileSync(config, stringify({ ...components, service: { pipelines, telemetry: TELEMETRY } }));
  const child = spawn(binary, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  // At log level warn otelcol says nothing when ready, so readiness is its receiver answering.
  for (let i = 0; i < 300; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(),
    }).then(
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

/**
 * One round: every body posted, 16 in flight, until the sink holds every span the config keeps;
 * then the traces at the sink are checked against the expected verdicts. Throughput counts the
 * spans sent (kept or not) over that time less the decision wait both collectors are configured
 * to hold traces for; CPU is the collector process's, per million spans sent.
 */
async function round(who, scenario, target, sink, { bodies, facts }) {
  const expected = scenario.expected(facts);
  let expectedSpans = 0;
  for (const n of expected.values()) expectedSpans += n;
  const sent = bodies.length * SPANS_PER_REQUEST;
  sink.reset();
  const cpuBefore = cpuSeconds(target.child.pid);
  const start = process.hrtime.bigint();
  await postAll(target.port, bodies, { concurrency: CONCURRENCY, until: () => sink.reached(expectedSpans, DELIVERY_TIMEOUT_MS) });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9 - scenario.settleMs / 1000;
  const cpu = cpuSeconds(target.child.pid) - cpuBefore;
  checkVerdicts(who, sink, expected);
  // Milliseconds (the table rounds to integers): CPU ms per million spans = CPU s per thousand.
  return {
    spansPerSecond: sent / seconds,
    cpuMsPerMillion: (cpu * 1e3 * 1e6) / sent,
    kept: expectedSpans / sent,
    expected,
    exportRequests: sink.requests,
  };
}

function otelcolBinary(name) {
  const build = spawnSync('bash', [join(new URL('..', import.meta.url).pathname, 'scripts/peers/otelcol-build.sh')], { encoding: 'utf8' });
  if (build.status === 0) return build.stdout.trim();
  const reason = `the OpenTelemetry Collector peer is not available (scripts/peers/otelcol-build.sh: ${build.stderr.trim().split('\n').pop()})`;
  // CI provisions it (.ci/run builds it first): there a missing peer is a failure, not a skip.
  if (process.env.CI === 'true') throw new Error(`${name}: ${reason}`);
  console.log(`${name} skipped: ${reason}`);
  return undefined;
}

/** Both collectors on one scenario: interleaved rounds, medians, rows named `otelcol_<name>_…`. */
async function sideBySide(name, scenario, { quick, root }) {
  const binary = otelcolBinary(`otelcol_${name}`);
  if (!binary) return [];
  // --quick (what CI runs) only proves that both collectors run the case and agree: a few seconds.
  const rounds = quick ? 2 : 5;
  const requestsPerRound = quick ? 50 : (scenario.requestsPerRound ?? 1000);
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-otelcol-'));
  const sinks = { ours: await startSpanSink(), theirs: await startSpanSink() };
  const targets = {};
  try {
    targets.ours = await startOurs(root, dir, scenario, sinks.ours.url);
    targets.theirs = await startTheirs(binary, dir, scenario, sinks.theirs.url);
    // A round's worth first, unmeasured: V8 needs it to reach its steady state (ours spends about
    // twice the CPU per span in the first 100,000 spans); otelcol is compiled ahead of time.
    const warmup = scenario.bodies(quick ? 20 : requestsPerRound);
    for (const key of ['ours', 'theirs']) await round(key, scenario, targets[key], sinks[key], warmup);
    const results = { ours: [], theirs: [] };
    for (let r = 0; r < rounds; r++) {
      // The same bodies for both, interleaved, so drift on a noisy machine touches both alike.
      const load = scenario.bodies(requestsPerRound);
      for (const key of ['ours', 'theirs']) results[key].push(await round(key, scenario, targets[key], sinks[key], load));
    }
    // Nothing may arrive after a round was counted complete (a verdict kept more than it should).
    await new Promise((r) => setTimeout(r, scenario.settleMs + 500));
    for (const key of ['ours', 'theirs']) checkVerdicts(key, sinks[key], results[key].at(-1).expected);
    const throughput = (key) => median(results[key].map((x) => x.spansPerSecond));
    const cpu = (key) => median(results[key].map((x) => x.cpuMsPerMillion));
    console.log(
      `otelcol_${name}: ${(results.ours[0].kept * 100).toFixed(1)} % of spans kept; CPU ms/M spans per round ours ${results.ours.map((x) => Math.round(x.cpuMsPerMillion)).join(', ')}, ` +
        `otelcol ${results.theirs.map((x) => Math.round(x.cpuMsPerMillion)).join(', ')}; export requests per round (of ${requestsPerRound} received) ` +
        `ours ${results.ours.map((x) => x.exportRequests).join(', ')}, otelcol ${results.theirs.map((x) => x.exportRequests).join(', ')}`,
    );
    return [
      {
        name: `otelcol_${name}_spans_per_s`,
        unit: 'spans/s',
        value: throughput('ours'),
        baseline_name: BASELINE,
        baseline_value: throughput('theirs'),
        ratio: throughput('ours') / throughput('theirs'),
      },
      {
        name: `otelcol_${name}_cpu_per_million_spans`,
        unit: 'CPU ms/M spans',
        value: cpu('ours'),
        baseline_name: BASELINE,
        baseline_value: cpu('theirs'),
        ratio: cpu('ours') / cpu('theirs'),
      },
    ];
  } finally {
    await Promise.all(Object.values(targets).map((t) => t.stop()));
    await Promise.all([sinks.ours.close(), sinks.theirs.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const otelcolPassthroughCase = (options) => sideBySide('passthrough', SCENARIOS.passthrough, options);
export const otelcolTailSamplingCase = (options) => sideBySide('tail_sampling', SCENARIOS.tail_sampling, options);
export async function otelcolProbabilisticCase(options) {
  return [
    ...(await sideBySide('probabilistic_hash_seed', SCENARIOS.probabilistic_hash_seed, options)),
    ...(await sideBySide('probabilistic_proportional', SCENARIOS.probabilistic_proportional, options)),
  ];
}
