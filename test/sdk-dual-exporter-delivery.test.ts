import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DecisionTrace, DualSpanExporter, HttpDecisionSink, type DualSpanExporterOptions, type SpanExporterLike } from '@decision-trace/sdk';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { installContextManager, sleep } from '../packages/sdk/test/sdk-harness.js';
import { eventually, launchCollector, startGrpcSink, startHttpSink, writeBackendConfig, type CollectorProcess, type OtlpSink } from './delivery-sink.js';

const OUTAGE_MS = 3_000;

interface RecordedDecision {
  id: string;
  parent_decision_id: string | null;
  outcome: string;
  tenant: string;
  type: string;
}

/**
 * An application with the dual exporter behind the SDK's BatchSpanProcessor, as a NodeSDK user
 * would set it up, and a processor beside it that notes when each span ended.
 */
function makeApp(spanExporter: SpanExporterLike, decisionApi: string, options: Pick<DualSpanExporterOptions, 'spans' | 'decisions'> = {}) {
  installContextManager();
  const endedAt = new Map<string, number>();
  const endTimes: SpanProcessor = {
    onStart() {},
    onEnd(span: ReadableSpan) {
      endedAt.set(span.spanContext().spanId, Date.now());
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const dual = new DualSpanExporter({
    spanExporter,
    decisionSink: new HttpDecisionSink({ endpoint: decisionApi }),
    spans: options.spans,
    decisions: { scheduledDelayMillis: 50, receiveUnsampledDecisions: false, ...options.decisions },
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [endTimes, new BatchSpanProcessor(dual, { scheduledDelayMillis: 50 })],
  });
  const dt = new DecisionTrace({ tracerProvider: provider, unsampledRecorders: [dual] });
  const tracer = provider.getTracer('refund-service');
  const decisionsEndedAt = new Map<string, number>();
  const parents = new Map<string, string>();

  /** One request: a server span, a refund decision with a database span and a nested decision inside. */
  async function request(i: number): Promise<void> {
    await tracer.startActiveSpan('POST /refunds', async (root) => {
      const made = await dt.decision({ type: 'refund.approve.v2', actor: { id: 'refund-agent', type: 'agent' }, tenant: 'acme' }, async (d) => {
        d.evidence('amount', 10 + i);
        tracer.startSpan('SELECT orders').end();
        const tier = await dt.decision({ type: 'customer.tier.assess.v1', tenant: 'acme' }, (t) => (t.outcome('gold'), t.id));
        d.outcome(i % 2 === 0 ? 'approved' : 'denied');
        return { id: d.id, tier };
      });
      root.end();
      const now = Date.now();
      decisionsEndedAt.set(made.id, now);
      decisionsEndedAt.set(made.tier, now);
      parents.set(made.tier, made.id);
    });
  }
  return { dual, provider, endedAt, decisionsEndedAt, parents, request };
}

async function storedDecisions(api: string): Promise<RecordedDecision[] | undefined> {
  const found: RecordedDecision[] = [];
  for (const type of ['refund.approve', 'customer.tier.assess']) {
    const res = await fetch(`${api}/v1/decisions?type=${type}&limit=1000`).catch(() => undefined);
    if (!res?.ok) return undefined;
    found.push(...((await res.json()) as { decisions: RecordedDecision[] }).decisions);
  }
  return found;
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

/** Notes, every 10 ms, how long after its end each span reached the sink. */
function watchArrivals(sink: () => OtlpSink | undefined, endedAt: Map<string, number>) {
  const latencies = new Map<string, number>();
  const timer = setInterval(() => {
    const arrivals = sink()?.spanArrivals;
    if (arrivals === undefined) return;
    for (const [id, ended] of endedAt) if (!latencies.has(id) && arrivals.has(id)) latencies.set(id, Date.now() - ended);
  }, 10);
  return { latencies, stop: () => clearInterval(timer) };
}

describe('DualSpanExporter on loopback: an OTLP sink and the bundled collector as decision backend', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  let collector: RunningCollector | undefined;
  async function backend(): Promise<RunningCollector> {
    if (collector === undefined) {
      collector = await startCollector();
      const started = collector;
      cleanups.push(() => started.stop());
    }
    return collector;
  }

  for (const protocol of ['http/protobuf', 'grpc'] as const) {
    test(`both destinations receive everything (OTLP ${protocol})`, { timeout: 60_000 }, async () => {
      const api = (await backend()).apiUrl;
      const sink = protocol === 'grpc' ? await startGrpcSink() : await startHttpSink();
      cleanups.push(() => sink.close());
      const exporter = protocol === 'grpc' ? new OtlpGrpcExporter({ url: `http://${sink.url}` }) : new OtlpProtoExporter({ url: `${sink.url}/v1/traces` });
      const app = makeApp(exporter, api);
      for (let i = 0; i < 10; i++) await app.request(i);
      await app.provider.shutdown();

      assert.equal(app.endedAt.size, 40, 'four spans per request');
      for (const id of app.endedAt.keys()) assert.equal(sink.spanArrivals.get(id), 1, `span ${id} arrived once`);
      const stored = new Map((await storedDecisions(api))!.map((d) => [d.id, d]));
      for (const [id] of app.decisionsEndedAt) assert.ok(stored.has(id), `decision ${id} stored`);
      for (const [child, parent] of app.parents) assert.equal(stored.get(child)!.parent_decision_id, parent);
      assert.equal(app.dual.stats.spans.exportedSpans, 40);
      assert.equal(app.dual.stats.decisions.exportedEvents, 20);
    });
  }

  test('decision backend down: spans flow on time, decisions arrive after it is back, once each', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-dual-backend-'));
    const [apiPort, otlpPort] = await Promise.all([freePort(), freePort()]);
    const api = `http://127.0.0.1:${apiPort}`;
    const configFile = writeBackendConfig(dir, apiPort, otlpPort);
    let down: CollectorProcess | undefined = await launchCollector(configFile, `${api}/v1/decisions?limit=1`);
    cleanups.push(() => down?.stop() ?? Promise.resolve());
    const sink = await startHttpSink();
    cleanups.push(() => sink.close());
    const app = makeApp(new OtlpProtoExporter({ url: `${sink.url}/v1/traces` }), api, {
      decisions: { retry: { maxAttempts: 1_000, initialBackoffMillis: 200, maxBackoffMillis: 500 } },
    });
    const arrivals = watchArrivals(() => sink, app.endedAt);

    await down.stop();
    down = undefined;
    const outageStart = Date.now();
    let i = 0;
    while (Date.now() - outageStart < OUTAGE_MS) {
      await app.request(i++);
      await sleep(30);
    }
    assert.ok(await eventually(() => arrivals.latencies.size === app.endedAt.size, 5_000), 'every span of the outage arrived');
    const outageP99 = p99([...arrivals.latencies.values()]);
    assert.equal(await storedDecisions(api), undefined, 'the backend is down');
    assert.ok(app.dual.stats.decisions.retries > 0, 'the decision side kept retrying');
    assert.equal(app.dual.stats.decisions.exportedEvents, 0);

    down = await launchCollector(configFile, `${api}/v1/decisions?limit=1`);
    const delivered = await eventually(async () => ((await storedDecisions(api))?.length ?? 0) >= app.decisionsEndedAt.size, 20_000, 200);
    arrivals.stop();
    assert.ok(delivered, `${(await storedDecisions(api))?.length} of ${app.decisionsEndedAt.size} decisions arrived after recovery`);
    const stored = (await storedDecisions(api))!;
    assert.equal(stored.length, app.decisionsEndedAt.size, 'no decision twice');
    assert.deepEqual(new Set(stored.map((d) => d.id)), new Set(app.decisionsEndedAt.keys()));
    for (const [child, parent] of app.parents) assert.equal(stored.find((d) => d.id === child)!.parent_decision_id, parent);

    assert.ok(i > 30, `only ${i} requests during the outage`);
    assert.ok(outageP99 < 1_000, `span delivery slowed down during the outage: p99 ${outageP99} ms`);
    const spans = app.dual.stats.spans;
    assert.deepEqual({ retries: spans.retries, dropped: spans.dropped, failed: spans.failedSpans }, { retries: 0, dropped: 0, failed: 0 });
    await app.provider.shutdown();
  });

  test('OTLP sink down: decisions flow on time, spans arrive after it is back', { timeout: 90_000 }, async () => {
    const api = (await backend()).apiUrl;
    const sinkPort = await freePort();
    let sink: OtlpSink | undefined;
    cleanups.push(() => sink?.close() ?? Promise.resolve());
    const app = makeApp(new OtlpProtoExporter({ url: `http://127.0.0.1:${sinkPort}/v1/traces`, timeoutMillis: 1_000 }), api, {
      spans: { retry: { maxAttempts: 1_000, initialBackoffMillis: 100, maxBackoffMillis: 300 } },
    });
    const decisionLatencies = new Map<string, number>();
    const watcher = setInterval(async () => {
      const stored = await storedDecisions(api);
      const seenAt = Date.now();
      for (const d of stored ?? []) {
        const ended = app.decisionsEndedAt.get(d.id);
        if (ended !== undefined && !decisionLatencies.has(d.id)) decisionLatencies.set(d.id, seenAt - ended);
      }
    }, 25);

    const outageStart = Date.now();
    let i = 0;
    while (Date.now() - outageStart < OUTAGE_MS) {
      await app.request(i++);
      await sleep(30);
    }
    const allDecided = await eventually(() => decisionLatencies.size === app.decisionsEndedAt.size, 5_000);
    clearInterval(watcher);
    assert.ok(allDecided, `${decisionLatencies.size} of ${app.decisionsEndedAt.size} decisions stored while the sink was down`);
    const decisionP99 = p99([...decisionLatencies.values()]);
    assert.ok(decisionP99 < 1_000, `decision delivery slowed down while the sink was down: p99 ${decisionP99} ms`);
    assert.ok(app.dual.stats.spans.retries > 0, 'the span side kept retrying');
    assert.equal(app.dual.stats.spans.exportedSpans, 0);

    sink = await startHttpSink(sinkPort);
    const recovered = sink;
    const arrived = await eventually(() => [...app.endedAt.keys()].every((id) => recovered.spanArrivals.has(id)), 20_000);
    assert.ok(arrived, `${[...app.endedAt.keys()].filter((id) => recovered.spanArrivals.has(id)).length} of ${app.endedAt.size} spans arrived`);
    assert.deepEqual(
      { failed: app.dual.stats.decisions.failedEvents, dropped: app.dual.stats.decisions.dropped, retries: app.dual.stats.decisions.retries },
      { failed: 0, dropped: 0, retries: 0 },
    );
    await app.provider.shutdown();
  });
});
