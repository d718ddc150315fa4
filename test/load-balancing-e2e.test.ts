import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@decision-trace/store';
import { HashRing } from '../packages/collector/src/exporters/load_balancing/hash-ring.js';
import { freePort } from './helpers/free-port.js';
import { makeTraces, shuffledRequests, tracesPerSink } from './helpers/trace-batches.js';
import { eventually, launchCollector, postTraces, startGrpcSink, type CollectorProcess, type OtlpSink } from './delivery-sink.js';

const BACKENDS = 3;
const TRACES = 300;
const SPANS_PER_TRACE = 4;

interface SamplingBackend {
  grpc: string;
  db: string;
  sink: OtlpSink;
  process: CollectorProcess;
}

/**
 * Real processes on loopback: one routing collector (`load_balancing`, static resolver) in front
 * of three collectors, each with its own decision processor, store and OTLP sink. Spans of every
 * trace arrive shuffled over many requests; each trace must end up whole on one backend — the
 * one the ring names, computed here in another process — and its decision in that backend's
 * store only.
 */
describe('load_balancing between collector processes', () => {
  const backends: SamplingBackend[] = [];
  let router: CollectorProcess;
  let routerHttp: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dt-lb-e2e-'));
    for (let i = 0; i < BACKENDS; i++) {
      const sink = await startGrpcSink();
      const [grpc, health] = [await freePort(), await freePort()];
      const db = join(dir, `sampler-${i}.db`);
      const file = join(dir, `sampler-${i}.yaml`);
      writeFileSync(
        file,
        `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpc}
processors:
  decision: {}
exporters:
  decisions:
    storage: sqlite:${db}
  otlp:
    endpoint: ${sink.url}
    tls: { insecure: true }
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions, otlp]
  telemetry:
    logs: { level: warn }
    metrics: { level: none }
`,
      );
      backends.push({ grpc: `127.0.0.1:${grpc}`, db, sink, process: await launchCollector(file, `http://127.0.0.1:${health}/`) });
    }
    const [http, health] = [await freePort(), await freePort()];
    routerHttp = `http://127.0.0.1:${http}`;
    const file = join(dir, 'router.yaml');
    writeFileSync(
      file,
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
exporters:
  load_balancing:
    protocol:
      otlp:
        tls: { insecure: true }
        retry_on_failure: { initial_interval: 100ms, max_interval: 500ms }
    resolver:
      static:
        hostnames: [${backends.map((b) => b.grpc).join(', ')}]
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [load_balancing]
  telemetry:
    logs: { level: warn }
    metrics: { level: none }
`,
    );
    router = await launchCollector(file, `http://127.0.0.1:${health}/`);
  });

  after(async () => {
    await router?.stop();
    for (const backend of backends) {
      await backend.process.stop();
      await backend.sink.close();
    }
  });

  test('every span of a trace reaches the one backend the ring names; its decision is stored there only', async () => {
    const traces = makeTraces(TRACES, SPANS_PER_TRACE, 'lb-e2e', true);
    const requests = shuffledRequests(traces, 50, 7);
    for (const body of requests) assert.equal((await postTraces(routerHttp, body)).status, 200);
    const sinks = backends.map((b) => b.sink);
    const arrived = () => sinks.reduce((sum, sink) => sum + sink.spanArrivals.size, 0);
    assert.ok(await eventually(() => arrived() === TRACES * SPANS_PER_TRACE, 20_000), `spans arrived: ${arrived()}`);

    const ring = new HashRing(backends.map((b) => b.grpc));
    const placement = tracesPerSink(traces, sinks);
    const perBackend = new Map<string, number>();
    for (const trace of traces) {
      const at = [...placement.get(trace.traceId)!];
      assert.equal(at.length, 1, `trace ${trace.traceId} was split over ${at.join(', ')}`);
      const owner = ring.ownerOf(trace.traceId)!;
      const expectedSink = backends.find((b) => b.grpc === owner)!.sink.url;
      assert.equal(at[0], expectedSink, 'the backend the ring names in this process');
      perBackend.set(owner, (perBackend.get(owner) ?? 0) + 1);
    }
    assert.equal(perBackend.size, BACKENDS, 'every backend got traces');
    for (const sink of sinks) for (const count of sink.spanArrivals.values()) assert.equal(count, 1, 'no span twice');

    const decided = new Map<string, string[]>();
    for (const backend of backends) {
      const store = await openStore(`sqlite:${backend.db}`, { thread: 'inline' });
      try {
        const page = await store.queryDecisions({ limit: 1000 });
        for (const record of page.decisions) {
          const where = decided.get(record.trace_id!) ?? [];
          where.push(backend.grpc);
          decided.set(record.trace_id!, where);
        }
      } finally {
        await store.close();
      }
    }
    assert.equal(decided.size, TRACES, "every trace's decision is stored");
    for (const trace of traces) assert.deepEqual(decided.get(trace.traceId), [ring.ownerOf(trace.traceId)], "once, by its trace's backend");
  });
});
