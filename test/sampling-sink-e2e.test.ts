import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, context, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { ProbabilisticSpanSampler, buildLeafPolicy, systemClock } from '@decision-trace/sampling';
import { freePort } from './helpers/free-port.js';
import { eventually, launchCollector, metricValue, startHttpSink, type CollectorProcess, type OtlpSink } from './delivery-sink.js';

/**
 * YAML sampling config → OTLP/HTTP from the real OpenTelemetry JS SDK exporter → the collector
 * as a child process → an OTLP/HTTP sink (a real server that decodes what it receives) and the
 * decision store. Only the kept traces' spans may reach the sink; every decision record must
 * reach the store and say whether its trace was kept and what it stands for; `/metrics` must
 * count what was sent.
 */

interface SentTrace {
  traceId: string;
  rootSpanId: string;
  spanIds: string[];
}

interface TraceSpec {
  outcome: string;
  confidence: number;
  error?: boolean;
  synthetic?: boolean;
}

/** Runs `build` with a tracer whose spans go out through the SDK's OTLP/HTTP protobuf exporter. */
async function sendWithSdk<T>(url: string, build: (tracer: Tracer) => T): Promise<T> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  try {
    const result = build(provider.getTracer('sampling-e2e', '1.0.0'));
    await provider.forceFlush();
    return result;
  } finally {
    await provider.shutdown();
  }
}

/** A request with a database call and one refund decision: three spans. */
function refundTrace(tracer: Tracer, spec: TraceSpec): SentTrace {
  const root = tracer.startSpan('POST /refunds', { attributes: spec.synthetic ? { synthetic: true } : {} });
  const rootContext = trace.setSpan(context.active(), root);
  const db = tracer.startSpan('db.query', {}, rootContext);
  db.end();
  const decide = tracer.startSpan(
    'refund.decide',
    {
      attributes: {
        'decision.type': 'refund.approve.v2',
        'decision.outcome': spec.outcome,
        'decision.confidence': spec.confidence,
        'decision.actor.type': 'agent',
        'decision.tenant_id': 'acme',
      },
    },
    rootContext,
  );
  decide.end();
  if (spec.error) root.setStatus({ code: SpanStatusCode.ERROR, message: 'refund service failed' });
  root.end();
  const ids = [root, db, decide].map((span) => span.spanContext().spanId);
  return { traceId: root.spanContext().traceId, rootSpanId: ids[0], spanIds: ids };
}

/** A span of an existing trace, sent after the trace was decided. */
function lateSpan(tracer: Tracer, of: SentTrace): string {
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: of.traceId, spanId: of.rootSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const span = tracer.startSpan('late.retry', {}, parent);
  span.end();
  return span.spanContext().spanId;
}

async function records(apiUrl: string): Promise<Map<string, DecisionRecord>> {
  const res = await fetch(`${apiUrl}/v1/decisions?tenant=acme&limit=1000`);
  assert.equal(res.status, 200);
  const list = ((await res.json()) as { decisions: DecisionRecord[] }).decisions;
  return new Map(list.map((record) => [record.trace_id!, record]));
}

async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200);
  return res.text();
}

function arrivedOnce(sink: OtlpSink, spanIds: Iterable<string>): boolean {
  for (const id of spanIds) if (sink.spanArrivals.get(id) !== 1) return false;
  return true;
}

interface Ports {
  otlp: number;
  otlpSecond: number;
  api: number;
  metrics: number;
}

async function launch(name: string, sink: OtlpSink, body: (ports: Ports, db: string) => string): Promise<{ collector: CollectorProcess; ports: Ports }> {
  const ports: Ports = { otlp: await freePort(), otlpSecond: await freePort(), api: await freePort(), metrics: await freePort() };
  const dir = mkdtempSync(join(tmpdir(), `dt-${name}-`));
  const db = join(dir, 'decisions.db');
  const file = join(dir, 'collector-config.yaml');
  writeFileSync(
    file,
    `${body(ports, db)}
exporters:
  decisions:
    storage: sqlite:${db}
  otlphttp:
    endpoint: ${sink.url}
    retry_on_failure:
      initial_interval: 200ms
extensions:
  decision_api:
    endpoint: 127.0.0.1:${ports.api}
    storage: sqlite:${db}
`,
  );
  const collector = await launchCollector(file, `http://127.0.0.1:${ports.api}/v1/decisions?limit=1`);
  return { collector, ports };
}

const SETTLE_MS = 1_000;

// The tests of each describe run in order on one collector and build on each other: the
// metrics test checks the counts of everything the tests before it sent.
describe('tail_sampling end to end: SDK → collector → OTLP sink and store, counted on /metrics', () => {
  let sink: OtlpSink;
  let collector: CollectorProcess;
  let ports: Ports;
  const tail = { processor: 'tail_sampling', pipeline: 'traces' };
  const tiny = { processor: 'tail_sampling/tiny', pipeline: 'traces/tiny' };
  // Drop beats every sampling policy; then errors, risky refunds and a 50 % ratio sample.
  const ratio = buildLeafPolicy({ name: 'ratio', type: 'probabilistic', probabilistic: { hash_salt: 'e2e', sampling_percentage: 50 } }, systemClock);
  const inRatio = (t: SentTrace) => ratio.evaluate({ traceId: t.traceId, groups: [], spanCount: 0, decisions: new Map() }) === 'sampled';

  let synthetic: SentTrace[];
  let errors: SentTrace[];
  let risky: SentTrace[];
  let ordinary: SentTrace[];
  let late: { sampledTrace: SentTrace; keptSpan: string; droppedTrace: SentTrace; droppedSpan: string };
  let evictable: SentTrace[];

  before(async () => {
    sink = await startHttpSink();
    ({ collector, ports } = await launch(
      'tail-sink',
      sink,
      (p) => `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlp}
  otlp/tiny:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlpSecond}
processors:
  decision: {}
  tail_sampling:
    decision_wait: 1s
    num_traces: 1000
    policies:
      - name: no-synthetic
        type: drop
        drop:
          drop_sub_policy:
            - {name: synthetic, type: boolean_attribute, boolean_attribute: {key: synthetic, value: true}}
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
      - {name: risky-refunds, type: decision, decision: {type: "refund.*", outcome: approved, confidence_below: 0.7}}
      - {name: ratio, type: probabilistic, probabilistic: {hash_salt: e2e, sampling_percentage: 50}}
  tail_sampling/tiny:
    decision_wait: 60s
    num_traces: 4
    policies:
      - {name: everything, type: always_sample}
service:
  extensions: [decision_api]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision, tail_sampling]
      exporters: [decisions, otlphttp]
    traces/tiny:
      receivers: [otlp/tiny]
      processors: [decision, tail_sampling/tiny]
      exporters: [decisions, otlphttp]
  telemetry:
    logs:
      level: warn
    metrics:
      address: 127.0.0.1:${p.metrics}
`,
    ));
    const otlpUrl = `http://127.0.0.1:${ports.otlp}`;
    ({ synthetic, errors, risky, ordinary } = await sendWithSdk(otlpUrl, (tracer) => ({
      synthetic: Array.from({ length: 4 }, () => refundTrace(tracer, { outcome: 'approved', confidence: 0.3, error: true, synthetic: true })),
      errors: Array.from({ length: 5 }, () => refundTrace(tracer, { outcome: 'denied', confidence: 0.99, error: true })),
      risky: Array.from({ length: 5 }, () => refundTrace(tracer, { outcome: 'approved', confidence: 0.4 })),
      ordinary: Array.from({ length: 30 }, () => refundTrace(tracer, { outcome: 'approved', confidence: 0.95 })),
    })));
  });

  after(async () => {
    await collector?.stop();
    await sink?.close();
  });

  const all = () => [...synthetic, ...errors, ...risky, ...ordinary];
  const kept = () => [...errors, ...risky, ...ordinary.filter(inRatio)];

  test('only the kept traces reach the OTLP sink, each span once', async () => {
    assert.ok(ordinary.some(inRatio) && !ordinary.every(inRatio), 'the ratio policy keeps some ordinary traces and not others');
    const expected = new Set(kept().flatMap((t) => t.spanIds));
    const arrived = await eventually(() => arrivedOnce(sink, expected), 15_000);
    assert.ok(arrived, `the kept traces' ${expected.size} spans reach the sink (${sink.spanArrivals.size} arrived)\n${collector.logs()}`);
    // Give anything that should not come the time to come anyway.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    assert.deepEqual(new Set(sink.spanArrivals.keys()), expected, 'nothing of a dropped or unsampled trace reached the sink');
    assert.ok(arrivedOnce(sink, expected));
  });

  test('every decision record reaches the store with trace_sampled and adjusted_count', async () => {
    const api = `http://127.0.0.1:${ports.api}`;
    const decided = await eventually(async () => {
      const stored = await records(api);
      return all().every((t) => typeof stored.get(t.traceId)?.trace_sampled === 'boolean');
    }, 10_000);
    assert.ok(decided, 'every record learns its verdict');
    const stored = await records(api);
    for (const t of all()) assert.ok(stored.has(t.traceId), `the record of trace ${t.traceId} is stored`);
    const expectations: Array<[SentTrace[], boolean | ((t: SentTrace) => boolean), (t: SentTrace) => number | null]> = [
      [synthetic, false, () => null],
      [errors, true, () => null],
      [risky, true, () => null],
      // Kept by the 50 % ratio: it stands for 2 traces.
      [ordinary, inRatio, (t) => (inRatio(t) ? 2 : null)],
    ];
    for (const [traces, sampled, adjusted] of expectations) {
      for (const t of traces) {
        const record = stored.get(t.traceId)!;
        assert.equal(record.trace_sampled, typeof sampled === 'boolean' ? sampled : sampled(t), `trace_sampled of ${t.traceId}`);
        assert.equal(record.adjusted_count, adjusted(t), `adjusted_count of ${t.traceId}`);
        assert.equal(record.outcome !== null, true, 'the record is whole');
      }
    }
  });

  test("late spans follow their trace's verdict", async () => {
    const sampledTrace = risky[0];
    const droppedTrace = ordinary.find((t) => !inRatio(t))!;
    const [keptSpan, droppedSpan] = await sendWithSdk(`http://127.0.0.1:${ports.otlp}`, (tracer) => [
      lateSpan(tracer, sampledTrace),
      lateSpan(tracer, droppedTrace),
    ]);
    late = { sampledTrace, keptSpan, droppedTrace, droppedSpan };
    assert.ok(await eventually(() => sink.spanArrivals.get(keptSpan) === 1, 10_000), 'the late span of a kept trace is forwarded at once');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    assert.equal(sink.spanArrivals.has(droppedSpan), false, 'the late span of an unsampled trace is not');
  });

  test('num_traces evicts the oldest undecided traces: their records say so, their spans never leave', async () => {
    evictable = await sendWithSdk(`http://127.0.0.1:${ports.otlpSecond}`, (tracer) =>
      Array.from({ length: 6 }, () => refundTrace(tracer, { outcome: 'approved', confidence: 0.9 })),
    );
    const api = `http://127.0.0.1:${ports.api}`;
    const settled = await eventually(async () => {
      const stored = await records(api);
      return evictable.filter((t) => stored.get(t.traceId)?.trace_sampled === false).length === 2;
    }, 10_000);
    assert.ok(settled, 'two records learn that their trace was evicted before its decision');
    const stored = await records(api);
    const states = evictable.map((t) => stored.get(t.traceId)?.trace_sampled);
    assert.equal(states.filter((s) => s === null).length, 4, 'the four traces still in memory wait for their decision (60 s)');
    for (const t of evictable) for (const id of t.spanIds) assert.equal(sink.spanArrivals.has(id), false);
  });

  test('/metrics counts per policy and decision, traces in memory, late spans and evictions as sent', async () => {
    const text = await scrape(`http://127.0.0.1:${ports.metrics}/metrics`);
    const value = (name: string, labels: Record<string, string> = {}) => metricValue(text, `otelcol_processor_tail_sampling_${name}`, { ...tail, ...labels });
    const considered = all().length - synthetic.length; // a drop stops the evaluation of a trace
    const ratioKept = [...errors, ...risky, ...ordinary].filter(inRatio).length;
    const perPolicy: Array<[string, string, number]> = [
      ['no-synthetic', 'dropped', synthetic.length],
      ['no-synthetic', 'not_sampled', considered],
      ['errors', 'sampled', errors.length],
      ['errors', 'not_sampled', considered - errors.length],
      ['risky-refunds', 'sampled', risky.length],
      ['risky-refunds', 'not_sampled', considered - risky.length],
      ['ratio', 'sampled', ratioKept],
      ['ratio', 'not_sampled', considered - ratioKept],
    ];
    for (const [policy, decision, traces] of perPolicy) {
      const labels = { policy, decision, sampled: decision === 'sampled' ? 'true' : 'false' };
      assert.equal(value('count_traces_sampled_total', labels) ?? 0, traces, `traces: ${policy} ${decision}\n${text}`);
      assert.equal(value('count_spans_sampled_total', labels) ?? 0, traces * 3, `spans: ${policy} ${decision}`);
    }
    const keptOrdinary = ordinary.filter(inRatio).length;
    assert.equal(value('global_count_traces_sampled_total', { decision: 'sampled', sampled: 'true' }), errors.length + risky.length + keptOrdinary);
    assert.equal(value('global_count_traces_sampled_total', { decision: 'not_sampled', sampled: 'false' }), ordinary.length - keptOrdinary);
    assert.equal(value('global_count_traces_sampled_total', { decision: 'dropped', sampled: 'false' }), synthetic.length);
    assert.equal(value('new_trace_id_received_total'), all().length);
    assert.equal(value('late_spans_total'), 2, `late spans of ${late.sampledTrace.traceId} and ${late.droppedTrace.traceId}`);
    assert.equal(value('sampling_traces_on_memory'), all().length, 'decided traces stay in memory (as verdicts) until num_traces pushes them out');
    assert.equal(value('traces_awaiting_decision'), 0);
    assert.equal(value('sampling_trace_dropped_too_early_total') ?? 0, 0);

    const small = (name: string) => metricValue(text, `otelcol_processor_tail_sampling_${name}`, tiny);
    assert.equal(small('new_trace_id_received_total'), evictable.length);
    assert.equal(small('sampling_trace_dropped_too_early_total'), evictable.length - 4);
    assert.equal(small('sampling_traces_on_memory'), 4);
    assert.equal(small('traces_awaiting_decision'), 4);
    assert.equal(small('global_count_traces_sampled_total') ?? 0, 0, 'evicted traces are not decided');
  });
});

describe('head samplers end to end: SDK → probabilistic_sampler / rate_limiting → OTLP sink and store, counted on /metrics', () => {
  let sink: OtlpSink;
  let collector: CollectorProcess;
  let ports: Ports;
  let ratioTraces: SentTrace[];
  let limitedTraces: SentTrace[];
  const percent = 25;
  const expected = new ProbabilisticSpanSampler({ sampling_percentage: percent });
  const inSample = (t: SentTrace) => expected.decide({ traceId: t.traceId, traceState: '', attributes: {} }).sampled;

  before(async () => {
    sink = await startHttpSink();
    ({ collector, ports } = await launch(
      'head-sink',
      sink,
      (p) => `
receivers:
  otlp/ratio:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlp}
  otlp/limited:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlpSecond}
processors:
  decision: {}
  probabilistic_sampler:
    sampling_percentage: ${percent}
  rate_limiting:
    spans_per_second: 1
    burst: 10
service:
  extensions: [decision_api]
  pipelines:
    traces/ratio:
      receivers: [otlp/ratio]
      processors: [decision, probabilistic_sampler]
      exporters: [decisions, otlphttp]
    traces/limited:
      receivers: [otlp/limited]
      processors: [decision, rate_limiting]
      exporters: [decisions, otlphttp]
  telemetry:
    logs:
      level: warn
    metrics:
      address: 127.0.0.1:${p.metrics}
`,
    ));
    ratioTraces = await sendWithSdk(`http://127.0.0.1:${ports.otlp}`, (tracer) =>
      Array.from({ length: 40 }, () => refundTrace(tracer, { outcome: 'approved', confidence: 0.9 })),
    );
    // One request of 24 spans: the bucket (burst 10, 1 span/s) lets the first 10 through.
    limitedTraces = await sendWithSdk(`http://127.0.0.1:${ports.otlpSecond}`, (tracer) =>
      Array.from({ length: 8 }, () => refundTrace(tracer, { outcome: 'approved', confidence: 0.9 })),
    );
  });

  after(async () => {
    await collector?.stop();
    await sink?.close();
  });

  test('probabilistic_sampler: the sink gets exactly the kept traces, marked ot=th:c; every record has adjusted_count 4', async () => {
    const kept = ratioTraces.filter(inSample);
    assert.ok(kept.length > 0 && kept.length < ratioTraces.length, `${kept.length} of ${ratioTraces.length} kept`);
    const expectedSpans = new Set(kept.flatMap((t) => t.spanIds));
    assert.ok(await eventually(() => arrivedOnce(sink, expectedSpans), 15_000), collector.logs());
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const ratioSpans = new Set(ratioTraces.flatMap((t) => t.spanIds));
    const arrivedRatio = [...sink.spanArrivals.keys()].filter((id) => ratioSpans.has(id));
    assert.deepEqual(new Set(arrivedRatio), expectedSpans);
    for (const request of sink.requests) {
      for (const rs of request.resourceSpans) {
        for (const ss of rs.scopeSpans) {
          for (const span of ss.spans)
            if (ratioSpans.has(span.spanId)) assert.match(span.traceState, /(^|,)ot=th:c(;|,|$)/, 'the 25 % threshold is written to tracestate');
        }
      }
    }
    const stored = await records(`http://127.0.0.1:${ports.api}`);
    for (const t of ratioTraces) {
      const record = stored.get(t.traceId);
      assert.ok(record, `the record of ${t.traceId} is stored`);
      assert.equal(record.trace_sampled, inSample(t));
      assert.equal(record.adjusted_count, 4);
    }
  });

  test('rate_limiting: what the sink gets is what the records call kept', async () => {
    const limitedSpans = new Set(limitedTraces.flatMap((t) => t.spanIds));
    assert.ok(await eventually(() => [...sink.spanArrivals.keys()].filter((id) => limitedSpans.has(id)).length === 10, 15_000), collector.logs());
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const arrived = new Set([...sink.spanArrivals.keys()].filter((id) => limitedSpans.has(id)));
    assert.equal(arrived.size, 10, 'the burst and nothing more');
    const stored = await records(`http://127.0.0.1:${ports.api}`);
    for (const t of limitedTraces) {
      const record = stored.get(t.traceId);
      assert.ok(record, `the record of ${t.traceId} is stored`);
      // The decision span is the trace's third span: its record tells whether that span was let through.
      assert.equal(record.trace_sampled, arrived.has(t.spanIds[2]), `trace_sampled of ${t.traceId}`);
      assert.equal(record.adjusted_count, null, 'a rate limit has no fixed probability');
    }
  });

  test('/metrics counts the spans each head sampler kept and dropped', async () => {
    const text = await scrape(`http://127.0.0.1:${ports.metrics}/metrics`);
    const ratio = { processor: 'probabilistic_sampler', pipeline: 'traces/ratio', policy: 'trace_id_w3c' };
    const keptSpans = ratioTraces.filter(inSample).length * 3;
    const name = 'otelcol_processor_probabilistic_sampler_count_spans_processed_total';
    assert.equal(metricValue(text, name, { ...ratio, sampled: 'true' }), keptSpans, text);
    assert.equal(metricValue(text, name, { ...ratio, sampled: 'false' }), ratioTraces.length * 3 - keptSpans);
    const limited = { processor: 'rate_limiting', pipeline: 'traces/limited' };
    assert.equal(metricValue(text, 'otelcol_processor_rate_limiting_count_spans_processed_total', { ...limited, sampled: 'true' }), 10);
    assert.equal(
      metricValue(text, 'otelcol_processor_rate_limiting_count_spans_processed_total', { ...limited, sampled: 'false' }),
      limitedTraces.length * 3 - 10,
    );
  });
});
