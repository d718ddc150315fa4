// In-process SDK: what adding the DecisionSpanProcessor and calling decision() cost an
// application, against the bare OpenTelemetry SDK (BasicTracerProvider + BatchSpanProcessor)
// measured in the same run. Rounds of both set-ups alternate so drift hits both alike.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DecisionSpanProcessor, DecisionTrace } from '@decision-trace/sdk';

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
    span.setAttributes({ 'app.order': JSON.stringify(ORDER), 'app.reason': 'arrived broken', 'app.tier': 'gold', 'app.outcome': 'approved', 'app.confidence': 0.92 });
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
  ];
}
