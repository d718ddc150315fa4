// In-process SDK: what adding the DecisionSpanProcessor and calling decision() cost an
// application, against the bare OpenTelemetry SDK (BasicTracerProvider + BatchSpanProcessor)
// measured in the same run; and the latency of a request handler that records a decision while
// the decision backend is down, against the same handler with the backend up. Rounds of both
// set-ups alternate so drift hits both alike.
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, Agent } from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DecisionSpanProcessor, DecisionTrace, HttpDecisionSink } from '@decision-trace/sdk';

const SPANS_PER_REQUEST = 5;
/** Well below BatchSpanProcessor's queue (2048), so the bare SDK never takes its cheap drop path. */
const REQUESTS_PER_CHUNK = 100;
const CALLS_PER_CHUNK = 200;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** An exporter that accepts everything at once: the cost measured is the SDK's, not a network's. */
const nullExporter = {
  export(spans, done) {
    done({ code: 0 });
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};

const nullSink = { export: async () => {} };

function setUp(withDecisions) {
  const processors = [new BatchSpanProcessor(nullExporter)];
  let decisions;
  if (withDecisions) {
    decisions = new DecisionSpanProcessor({ sink: nullSink, receiveUnsampledDecisions: false });
    processors.push(decisions);
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: processors,
  });
  return { provider, decisions, tracer: provider.getTracer('bench-app', '1.0.0') };
}

/** An HTTP request: a server span with four child spans (db, cache, two outgoing calls). */
function request(tracer, i) {
  const root = tracer.startSpan('GET /orders/:id', {
    kind: 1,
    attributes: { 'http.request.method': 'GET', 'url.path': `/orders/${i}`, 'http.route': '/orders/:id' },
  });
  const parentContext = trace.setSpan(context.active(), root);
  for (let c = 1; c < SPANS_PER_REQUEST; c++) {
    const child = tracer.startSpan(`child-${c}`, { attributes: { 'db.system': 'postgresql', 'db.operation.name': 'SELECT' } }, parentContext);
    child.setAttribute('server.port', 5432);
    child.end();
  }
  root.setAttribute('http.response.status_code', 200);
  root.end();
}

function cpuNanos(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) * 1000;
}

/**
 * CPU nanoseconds per span for one chunk of requests, export included (the chunk is flushed
 * inside the measurement). CPU time, not wall time: other processes on a busy machine then
 * disturb the numbers less.
 */
async function spanChunk(setup, offset) {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS_PER_CHUNK; i++) request(setup.tracer, offset + i);
  await setup.provider.forceFlush();
  return cpuNanos(start) / (REQUESTS_PER_CHUNK * SPANS_PER_REQUEST);
}

const DECISION_OPTIONS = { type: 'refund.approve.v2', actor: { id: 'refund-agent', type: 'agent' }, tenant: 'acme' };
const ORDER = { id: 'o-1001', amount: 49.9, items: ['kettle'] };

function decide(d) {
  d.evidence('order', ORDER).evidence('reason', 'arrived broken').evidence('customer_tier', 'gold');
  d.outcome('approved', { confidence: 0.92 });
}

/** CPU nanoseconds per decision() call: what the caller's thread spends (delivery excluded). */
async function decisionCallChunk(setup, dt) {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS_PER_CHUNK; i++) dt.decision(DECISION_OPTIONS, decide);
  const perCall = cpuNanos(start) / CALLS_PER_CHUNK;
  await setup.provider.forceFlush();
  return perCall;
}

/** The same work as a bare SDK span: start, five attributes, end. */
async function bareSpanChunk(setup) {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS_PER_CHUNK; i++) {
    const span = setup.tracer.startSpan('refund.approve.v2');
    span.setAttributes({
      'app.order': JSON.stringify(ORDER),
      'app.reason': 'arrived broken',
      'app.tier': 'gold',
      'app.outcome': 'approved',
      'app.confidence': 0.92,
    });
    span.end();
  }
  const perCall = cpuNanos(start) / CALLS_PER_CHUNK;
  await setup.provider.forceFlush();
  return perCall;
}

/** CPU nanoseconds per decision including its conversion and delivery to a no-op sink. */
async function decisionTotalChunk(setup, dt) {
  const start = process.cpuUsage();
  for (let i = 0; i < CALLS_PER_CHUNK; i++) dt.decision(DECISION_OPTIONS, decide);
  await setup.provider.forceFlush();
  return cpuNanos(start) / CALLS_PER_CHUNK;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A decision backend that takes every batch (`POST /v1/events` → 200), in a process of its own
 * as a real backend is: its work must not land on the application's event loop.
 */
const BACKEND_SCRIPT = `
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}'));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startBackend() {
  const child = spawn(process.execPath, ['-e', BACKEND_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (data) => resolve(Number(String(data).trim())));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      child.kill();
      return exited;
    },
  };
}

/** The address of a backend that is down: a port that was just free, with nothing listening. */
async function downBackendUrl() {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return `http://127.0.0.1:${port}`;
}

const HANDLER_CONCURRENCY = 4;

/**
 * The application side for one round: the SDK with the decision processor posting to
 * `endpoint` (delivery every 100 ms, the default retries), and a request handler that records a
 * decision around a little asynchronous work. A fresh set-up per round, shut down after it,
 * so one round's background delivery (retrying against a dead backend) never runs in the next.
 */
function handlerSetUp(endpoint) {
  const decisions = new DecisionSpanProcessor({
    sink: new HttpDecisionSink({ endpoint }),
    scheduledDelayMillis: 100,
    shutdownTimeoutMillis: 50,
    receiveUnsampledDecisions: false,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-handler' }),
    spanProcessors: [new BatchSpanProcessor(nullExporter), decisions],
  });
  const tracer = provider.getTracer('bench-handler', '1.0.0');
  const dt = new DecisionTrace({ tracerProvider: provider, unsampledRecorders: [decisions] });
  async function handle(res) {
    await tracer.startActiveSpan('POST /refunds', { kind: 1 }, async (span) => {
      const outcome = await dt.decision(DECISION_OPTIONS, async (d) => {
        d.evidence('order', ORDER).evidence('reason', 'arrived broken');
        await new Promise((resolve) => setImmediate(resolve));
        d.outcome('approved', { confidence: 0.92 });
        return 'approved';
      });
      span.setAttribute('http.response.status_code', 200);
      span.end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(outcome);
    });
  }
  return { decisions, provider, handle };
}

/** Wall-clock microseconds of each of `count` requests, `HANDLER_CONCURRENCY` in flight over keep-alive connections. */
async function requestLatencies(port, agent, count) {
  const latencies = [];
  let next = 0;
  async function client() {
    while (next < count) {
      next++;
      const start = process.hrtime.bigint();
      await new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/refunds', method: 'POST', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
      latencies.push(Number(process.hrtime.bigint() - start) / 1000);
    }
  }
  await Promise.all(Array.from({ length: HANDLER_CONCURRENCY }, client));
  return latencies;
}

/**
 * p99 latency of the handler, backend down against backend up: each round runs a fresh set-up
 * for one of the two and measures `requests` requests; the value is the median of the rounds'
 * p99s. Rounds alternate, the first of each pair switching, so drift hits both alike.
 */
async function handlerLatencyCase({ quick }) {
  const backend = await startBackend();
  const deadUrl = await downBackendUrl();
  let current;
  const app = createServer((req, res) => {
    req.resume();
    req.on('end', () => current.handle(res));
  });
  const port = await listen(app);
  const agent = new Agent({ keepAlive: true, maxSockets: HANDLER_CONCURRENCY });
  const rounds = quick ? 6 : 30;
  const requests = quick ? 1_000 : 3_000;
  const p99 = { up: [], down: [] };
  let deadBackendRetries = 0;
  async function measureRounds() {
    for (let round = -2; round < rounds; round++) {
      const order = round % 2 === 0 ? ['up', 'down'] : ['down', 'up'];
      for (const mode of order) {
        current = handlerSetUp(mode === 'up' ? backend.url : deadUrl);
        const latencies = await requestLatencies(port, agent, requests);
        // Let the round's last batch reach (or fail to reach) the backend before shutting down.
        await new Promise((resolve) => setTimeout(resolve, 150));
        const stats = current.decisions.stats;
        await current.provider.shutdown();
        if (mode === 'up' && (stats.failedEvents > 0 || stats.exportedEvents === 0)) {
          throw new Error(`the live backend did not take the decisions: ${JSON.stringify(stats)}`);
        }
        if (mode === 'down') deadBackendRetries += stats.retries;
        if (round >= 0) p99[mode].push(percentile(latencies, 0.99));
      }
    }
  }
  try {
    await measureRounds();
  } finally {
    agent.destroy();
    await closeServer(app);
    await backend.close();
  }
  if (deadBackendRetries === 0) throw new Error('the dead backend was never tried: the comparison would mean nothing');
  const down = median(p99.down);
  const up = median(p99.up);
  return {
    name: 'sdk_handler_p99_backend_down',
    unit: 'µs p99/request',
    value: down,
    baseline_name: 'sdk_handler_p99_backend_up',
    baseline_value: up,
    ratio: down / up,
  };
}

export async function sdkCase({ quick }) {
  // NodeSDK installs this context manager; decisions are measured with it, as users run them.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const chunks = quick ? 60 : 300;

  const bare = setUp(false);
  const withDecisions = setUp(true);
  const dt = new DecisionTrace({ tracerProvider: withDecisions.provider, unsampledRecorders: [withDecisions.decisions] });

  const bareSpan = [];
  const decisionSpan = [];
  const decisionCall = [];
  const bareCall = [];
  const decisionTotal = [];
  // The first chunks warm the JIT up on every path and are not counted.
  const warmUp = Math.ceil(chunks / 5);
  for (let chunk = 0; chunk < chunks + warmUp; chunk++) {
    const counted = chunk >= warmUp;
    const offset = chunk * REQUESTS_PER_CHUNK;
    // Which set-up goes first alternates, so neither always pays for the other's garbage.
    const bareFirst = chunk % 2 === 0;
    const first = await spanChunk(bareFirst ? bare : withDecisions, offset);
    const second = await spanChunk(bareFirst ? withDecisions : bare, offset);
    const bareCallSample = await bareSpanChunk(bare);
    const callSample = await decisionCallChunk(withDecisions, dt);
    const totalSample = await decisionTotalChunk(withDecisions, dt);
    if (!counted) continue;
    bareSpan.push(bareFirst ? first : second);
    decisionSpan.push(bareFirst ? second : first);
    bareCall.push(bareCallSample);
    decisionCall.push(callSample);
    decisionTotal.push(totalSample);
  }
  const stats = withDecisions.decisions.stats;
  await bare.provider.shutdown();
  await withDecisions.provider.shutdown();
  if (stats.dropped > 0 || stats.failedEvents > 0) throw new Error(`decisions were lost during the bench: ${JSON.stringify(stats)}`);

  const spanValue = median(decisionSpan);
  const spanBaseline = median(bareSpan);
  const callValue = median(decisionCall);
  const callBaseline = median(bareCall);
  const totalValue = median(decisionTotal);
  const handlerLatency = await handlerLatencyCase({ quick });
  return [
    {
      name: 'sdk_non_decision_span_cpu',
      unit: 'ns CPU/span',
      value: spanValue,
      baseline_name: 'bare_sdk_batch_span_processor',
      baseline_value: spanBaseline,
      ratio: spanValue / spanBaseline,
    },
    {
      name: 'sdk_decision_call',
      unit: 'ns/decision()',
      value: callValue,
      baseline_name: 'bare_sdk_span_5_attributes',
      baseline_value: callBaseline,
      ratio: callValue / callBaseline,
    },
    {
      name: 'sdk_decision_total_cpu',
      unit: 'ns CPU/decision',
      value: totalValue,
      baseline_name: 'bare_sdk_span_5_attributes',
      baseline_value: callBaseline,
      ratio: totalValue / callBaseline,
    },
    handlerLatency,
  ];
}
