import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { eventually, launchCollector, type CollectorProcess } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';
import { readFileExporterLines, skipWithoutOtelcol, startOtelcol, type RunningOtelcol } from './helpers/otelcol.js';

/**
 * Decisions in, metrics out (issue #20): an application instrumented with the real OpenTelemetry
 * SDK sends decision spans to our collector; its traces pipeline ends in two `decision_metrics`
 * connectors (one cumulative with a cardinality limit, one delta; a third sits in a second traces
 * pipeline without the decision processor) feeding a metrics pipeline
 * whose `otlphttp` and `otlp` (gRPC) exporters send OTLP metrics to the real OpenTelemetry
 * Collector (its file exporters write what arrived) and whose `prometheus` exporter is scraped.
 */

const skip = skipWithoutOtelcol();
const T0 = Date.UTC(2026, 11, 7, 6, 0, 0);
const RUN = Math.random().toString(36).slice(2, 8);

interface RefundDecision {
  id: string;
  outcome: string;
  confidence: number;
  durationMs: number;
  policy: 'pass' | 'fail';
  tokens?: { input: number; output: number };
}

/** Six refund decisions: four approved, two denied; the first one's model call cost 100 + 20 tokens. */
const REFUNDS: RefundDecision[] = [
  { id: `r1-${RUN}`, outcome: 'approved', confidence: 0.92, durationMs: 50, policy: 'pass', tokens: { input: 100, output: 20 } },
  { id: `r2-${RUN}`, outcome: 'approved', confidence: 0.97, durationMs: 150, policy: 'pass' },
  { id: `r3-${RUN}`, outcome: 'approved', confidence: 0.85, durationMs: 700, policy: 'pass' },
  { id: `r4-${RUN}`, outcome: 'approved', confidence: 0.6, durationMs: 30, policy: 'pass' },
  { id: `r5-${RUN}`, outcome: 'denied', confidence: 0.3, durationMs: 1500, policy: 'fail' },
  { id: `r6-${RUN}`, outcome: 'denied', confidence: 0.45, durationMs: 120, policy: 'fail' },
];

function decisionSpan(tracer: Tracer, start: number, durationMs: number, attributes: Record<string, string | number>): Span {
  const span = tracer.startSpan('decide', { startTime: start, attributes }, context.active());
  return span;
}

/** Phase 1: the decisions, each on its own span (input A, docs/architecture.md §2); their spans' ids by decision id. */
function recordDecisions(tracer: Tracer): Map<string, { traceId: string; spanId: string }> {
  const spans = new Map<string, { traceId: string; spanId: string }>();
  let at = T0;
  for (const refund of REFUNDS) {
    const span = decisionSpan(tracer, at, refund.durationMs, {
      'decision.id': refund.id,
      'decision.type': 'refund.approve.v2',
      'decision.outcome': refund.outcome,
      'decision.confidence': refund.confidence,
      'decision.tenant_id': 'acme',
      'decision.environment': 'test',
      'decision.actor.type': 'agent',
      'decision.policy.refund_limit': refund.policy,
    });
    if (refund.tokens) {
      const call = tracer.startSpan(
        'chat gpt-x',
        {
          startTime: at + 5,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-x',
            'gen_ai.usage.input_tokens': refund.tokens.input,
            'gen_ai.usage.output_tokens': refund.tokens.output,
          },
        },
        trace.setSpan(context.active(), span),
      );
      call.end(at + 25);
    }
    span.end(at + refund.durationMs);
    spans.set(refund.id, { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    at += 2000;
  }
  const kyc = decisionSpan(tracer, at, 10, {
    'decision.id': `k1-${RUN}`,
    'decision.type': 'kyc.check.v1',
    'decision.outcome': 'passed',
    'decision.confidence': 0.99,
    'decision.tenant_id': 'acme',
    'decision.environment': 'test',
    'decision.actor.type': 'system',
  });
  kyc.end(at + 10);
  // Two more dimension sets than the cumulative connector's limit of 3 admits.
  for (const type of ['misc.one.v1', 'misc.two.v1']) {
    at += 100;
    decisionSpan(tracer, at, 10, { 'decision.type': type, 'decision.outcome': 'done', 'decision.tenant_id': 'acme', 'decision.environment': 'test' }).end(
      at + 10,
    );
  }
  return spans;
}

/**
 * Phase 2, later: evaluations of two decisions, as the Decision Trace SDK's `dt.*` spans: one on
 * the decision itself, one by a review decision naming its target (as the upstream SDK's example
 * does); and the start of a decision whose outcome comes in a later request.
 */
function recordEvaluations(tracer: Tracer): void {
  const evaluation = (decisionId: string, n: number, payload: Record<string, string | boolean>) => {
    const attributes: Record<string, string | boolean> = {
      'dt.decision_id': decisionId,
      'dt.event_id': `${decisionId}-evaluation-${n}`,
      'dt.event_type': 'decision.evaluation',
      'dt.decision_type': 'refund.approve.v2',
      'dt.tenant_id': 'acme',
      'dt.schema_version': '1.0',
    };
    for (const [key, value] of Object.entries(payload)) attributes[`dt.payload.${key}`] = value;
    tracer.startSpan('decision.evaluation', { attributes }).end();
  };
  evaluation(REFUNDS[0].id, 1, { expected_outcome: 'approved', reviewer: 'qa' });
  evaluation(`review-${RUN}`, 1, { target_decision_id: REFUNDS[4].id, correct: false });
  fraudEvent(tracer, 'start', { 'dt.actor.type': 'system', 'dt.environment': 'test', 'dt.evidence.score': 0.12 });
}

function fraudEvent(tracer: Tracer, type: 'start' | 'outcome', attributes: Record<string, string | number>): void {
  tracer
    .startSpan(`decision.${type}`, {
      attributes: {
        'dt.decision_id': `fraud-${RUN}`,
        'dt.event_id': `fraud-${RUN}-${type}`,
        'dt.event_type': `decision.${type}`,
        'dt.decision_type': 'fraud.screen.v3',
        'dt.tenant_id': 'acme',
        'dt.schema_version': '1.0',
        ...attributes,
      },
    })
    .end();
}

// --- reading what arrived ------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    assert.ok(match, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `several samples ${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return found[0]?.value;
}

interface OtlpExemplar {
  traceId?: string;
  spanId?: string;
  asDouble?: number;
  filteredAttributes?: Array<{ key: string; value: AnyValueJson }>;
}

interface OtlpPoint {
  metric: string;
  exemplars: OtlpExemplar[];
  temporality?: number;
  attributes: Record<string, string | boolean>;
  value?: number;
  count?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

type AnyValueJson = { stringValue?: string; boolValue?: boolean; intValue?: string; doubleValue?: number };

/** Every data point of every ExportMetricsServiceRequest otelcol's file exporter wrote, in order. */
function otlpPoints(file: string): OtlpPoint[] {
  const points: OtlpPoint[] = [];
  for (const line of readFileExporterLines(file)) {
    const request = JSON.parse(line) as {
      resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<Record<string, any>> }> }>;
    };
    for (const rm of request.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const metric of sm.metrics) {
          const body = metric.sum ?? metric.histogram ?? metric.gauge;
          for (const p of body.dataPoints as Array<Record<string, any>>) {
            const attributes: Record<string, string | boolean> = {};
            for (const kv of (p.attributes ?? []) as Array<{ key: string; value: AnyValueJson }>) {
              attributes[kv.key] = kv.value.stringValue ?? kv.value.boolValue ?? String(kv.value.intValue ?? kv.value.doubleValue);
            }
            points.push({
              metric: metric.name,
              temporality: body.aggregationTemporality,
              attributes,
              value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : undefined),
              count: p.count !== undefined ? Number(p.count) : undefined,
              bucketCounts: p.bucketCounts?.map(Number),
              explicitBounds: p.explicitBounds,
              exemplars: p.exemplars ?? [],
            });
          }
        }
      }
    }
  }
  return points;
}

const matches = (attributes: Record<string, string | boolean>, wanted: Record<string, string | boolean>) =>
  Object.entries(wanted).every(([k, v]) => attributes[k] === v);

// --- the test ----------------------------------------------------------------------------

const APPROVED = {
  'decision.type': 'refund.approve',
  'decision.version': 'v2',
  'decision.outcome': 'approved',
  'decision.tenant': 'acme',
  'decision.environment': 'test',
  'decision.actor.type': 'agent',
};
const APPROVED_LABELS = Object.fromEntries(Object.entries(APPROVED).map(([k, v]) => [k.replaceAll('.', '_'), v]));
const DENIED_LABELS = { ...APPROVED_LABELS, decision_outcome: 'denied' };

describe('decision_metrics: decisions in, OTLP metrics to otelcol and a Prometheus scrape out', { skip, timeout: 180_000 }, () => {
  let otelcol: RunningOtelcol;
  let collector: CollectorProcess;
  let provider: BasicTracerProvider;
  let tracer: Tracer;
  let metricsFile: string;
  let grpcMetricsFile: string;
  let scrapeUrl: string;
  let telemetryUrl: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-decision-metrics-'));
    const [otelcolHttp, otelcolGrpc, receiverHttp, promPort, healthPort, telemetryPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    telemetryUrl = `http://127.0.0.1:${telemetryPort}/metrics`;
    metricsFile = join(dir, 'metrics.jsonl');
    grpcMetricsFile = join(dir, 'metrics-grpc.jsonl');
    otelcol = await startOtelcol({
      receivers: {
        otlp: { protocols: { http: { endpoint: `127.0.0.1:${otelcolHttp}` } } },
        'otlp/grpc': { protocols: { grpc: { endpoint: `127.0.0.1:${otelcolGrpc}` } } },
      },
      exporters: { file: { path: metricsFile, flush_interval: '100ms' }, 'file/grpc': { path: grpcMetricsFile, flush_interval: '100ms' } },
      service: {
        pipelines: {
          metrics: { receivers: ['otlp'], exporters: ['file'] },
          'metrics/grpc': { receivers: ['otlp/grpc'], exporters: ['file/grpc'] },
        },
      },
    });
    const configFile = join(dir, 'collector.yaml');
    writeFileSync(
      configFile,
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverHttp}
processors:
  decision: {}
connectors:
  decision_metrics:
    aggregation_cardinality_limit: 3
    metrics_flush_interval: 200ms
    exemplars: { enabled: true, max_per_data_point: 2 }
  decision_metrics/raw:
    namespace: decision_raw
    metrics_flush_interval: 200ms
  decision_metrics/delta:
    namespace: decision_delta
    aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA
    metrics_flush_interval: 200ms
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${otelcolHttp}
    encoding: json
  otlp:
    endpoint: http://127.0.0.1:${otelcolGrpc}
  prometheus:
    endpoint: 127.0.0.1:${promPort}
extensions:
  health_check:
    endpoint: 127.0.0.1:${healthPort}
service:
  extensions: [health_check]
  telemetry: { logs: { level: warn }, metrics: { address: 127.0.0.1:${telemetryPort} } }
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decision_metrics, decision_metrics/delta]
    traces/raw:
      receivers: [otlp]
      exporters: [decision_metrics/raw]
    metrics:
      receivers: [decision_metrics, decision_metrics/delta, decision_metrics/raw]
      exporters: [otlphttp, otlp, prometheus]
`,
    );
    collector = await launchCollector(configFile, `http://127.0.0.1:${healthPort}/`);
    scrapeUrl = `http://127.0.0.1:${promPort}/metrics`;
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${receiverHttp}/v1/traces` }))],
    });
    tracer = provider.getTracer('refund-app');
  });

  after(async () => {
    await provider?.shutdown();
    await collector?.stop();
    await otelcol?.stop();
  });

  test('counts, histograms, policy checks, tokens and the overflow series, scraped and sent as OTLP', async () => {
    const spans = recordDecisions(tracer);
    await provider.forceFlush();

    let samples: Sample[] = [];
    const scraped = await eventually(async () => {
      samples = parsePrometheus(await (await fetch(scrapeUrl)).text());
      return valueOf(samples, 'decision_count_total', APPROVED_LABELS) === 4 && valueOf(samples, 'decision_delta_count_total', APPROVED_LABELS) === 4;
    }, 30_000);
    assert.ok(scraped, `no decision counts scraped:\n${samples.map((s) => JSON.stringify(s)).join('\n')}\n${collector.logs()}`);

    // Counts per outcome, from the cumulative connector and from the delta one (the prometheus
    // exporter adds the deltas up).
    for (const prefix of ['decision', 'decision_delta']) {
      assert.equal(valueOf(samples, `${prefix}_count_total`, APPROVED_LABELS), 4);
      assert.equal(valueOf(samples, `${prefix}_count_total`, DENIED_LABELS), 2);
      assert.equal(valueOf(samples, `${prefix}_count_total`, { decision_type: 'kyc.check', decision_actor_type: 'system', decision_outcome: 'passed' }), 1);
    }
    // The limit of 3 dimension sets: the two further decisions are counted under the overflow series.
    assert.equal(valueOf(samples, 'decision_count_total', { otel_metric_overflow: 'true' }), 2);
    assert.equal(valueOf(samples, 'decision_count_total', { decision_type: 'misc.one' }), undefined);
    assert.equal(valueOf(samples, 'decision_delta_count_total', { decision_type: 'misc.one' }), 1, 'no limit on the delta connector');

    // Confidence 0.6, 0.85, 0.92, 0.97 of the approved refunds, in cumulative buckets.
    const confidence = (le: string) => valueOf(samples, 'decision_confidence_bucket', { ...APPROVED_LABELS, le });
    assert.deepEqual(['0.5', '0.6', '0.8', '0.9', '0.95', '0.99', '+Inf'].map(confidence), [0, 1, 1, 2, 3, 4, 4]);
    assert.equal(valueOf(samples, 'decision_confidence_count', APPROVED_LABELS), 4);
    assert.ok(Math.abs(valueOf(samples, 'decision_confidence_sum', APPROVED_LABELS)! - 3.34) < 1e-9);
    // Latency 30, 50, 150, 700 ms (the spans' durations).
    const latency = (le: string) => valueOf(samples, 'decision_duration_bucket', { ...APPROVED_LABELS, le });
    assert.deepEqual(['10', '50', '100', '200', '400', '800', '+Inf'].map(latency), [0, 2, 2, 3, 3, 4, 4]);
    assert.equal(valueOf(samples, 'decision_delta_duration_count', DENIED_LABELS), 2);

    // Policy checks by policy and result.
    assert.equal(
      valueOf(samples, 'decision_policy_checks_total', { ...APPROVED_LABELS, decision_policy_name: 'refund_limit', decision_policy_result: 'pass' }),
      4,
    );
    assert.equal(
      valueOf(samples, 'decision_policy_checks_total', { ...DENIED_LABELS, decision_policy_name: 'refund_limit', decision_policy_result: 'fail' }),
      2,
    );

    // The model call beneath r1, per decision type (never with an outcome dimension).
    const tokenLabels = { decision_type: 'refund.approve', decision_version: 'v2', decision_tenant: 'acme' };
    assert.equal(valueOf(samples, 'decision_tokens_total', { ...tokenLabels, gen_ai_token_type: 'input' }), 100);
    assert.equal(valueOf(samples, 'decision_tokens_total', { ...tokenLabels, gen_ai_token_type: 'output' }), 20);
    assert.ok(samples.every((s) => s.name !== 'decision_tokens_total' || s.labels.decision_outcome === undefined));

    // The same through OTLP into the real Collector.
    let points: OtlpPoint[] = [];
    const arrived = await eventually(() => {
      points = otlpPoints(metricsFile);
      return points.some((p) => p.metric === 'decision.count' && matches(p.attributes, APPROVED) && p.value === 4);
    }, 30_000);
    assert.ok(arrived, `otelcol did not receive the decision counts:\n${otelcol.logs()}\n${collector.logs()}`);
    const cumulative = points.filter((p) => p.metric === 'decision.count' && matches(p.attributes, APPROVED));
    assert.ok(
      cumulative.every((p) => p.temporality === 2),
      'AGGREGATION_TEMPORALITY_CUMULATIVE',
    );
    assert.ok(points.some((p) => p.metric === 'decision.count' && p.attributes['otel.metric.overflow'] === true && p.value === 2));
    const histogram = points.findLast((p) => p.metric === 'decision.confidence' && matches(p.attributes, APPROVED))!;
    assert.deepEqual(histogram.explicitBounds, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]);
    assert.deepEqual(histogram.bucketCounts, [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0]);
    assert.equal(histogram.temporality, 2);

    // Exemplars point at the decisions: the last two measurements of each series, with the
    // decision's trace and span ids (over OTLP/HTTP JSON here, and protobuf over gRPC).
    // (A flush that ran while the decisions were recorded may send their exemplars with the next one.)
    const withExemplars = (file: string) =>
      otlpPoints(file).filter((p) => p.metric === 'decision.count' && matches(p.attributes, APPROVED) && p.exemplars.length > 0);
    assert.ok(await eventually(() => withExemplars(metricsFile).length > 0 && withExemplars(grpcMetricsFile).length > 0, 30_000), 'exemplars arrived');
    points = otlpPoints(metricsFile);
    const grpcPoints = otlpPoints(grpcMetricsFile);
    for (const [transport, all] of [
      ['http/json', points],
      ['grpc/protobuf', grpcPoints],
    ] as const) {
      const counted = all.findLast((p) => p.metric === 'decision.count' && matches(p.attributes, APPROVED) && p.exemplars.length > 0);
      assert.ok(counted, `${transport}: no exemplars on decision.count`);
      assert.equal(counted.exemplars.length, 2, transport);
      for (const exemplar of counted.exemplars) {
        const decisionId = exemplar.filteredAttributes?.find((a) => a.key === 'decision.id')?.value.stringValue;
        assert.ok(decisionId && spans.has(decisionId), `${transport}: exemplar of an unknown decision ${decisionId}`);
        assert.equal(exemplar.traceId, spans.get(decisionId)!.traceId, transport);
        assert.equal(exemplar.spanId, spans.get(decisionId)!.spanId, transport);
        assert.equal(exemplar.asDouble, 1, transport);
      }
      const latency = all.findLast((p) => p.metric === 'decision.duration' && matches(p.attributes, APPROVED) && p.exemplars.length > 0)!;
      assert.deepEqual(
        latency.exemplars.map((e) => e.asDouble).sort((a, b) => a! - b!),
        [30, 700],
        `${transport}: r3 and r4, the last two approved`,
      );
      assert.ok(
        all.every((p) => !p.metric.startsWith('decision_delta.') || p.exemplars.length === 0),
        'exemplars are off by default',
      );
    }

    // The collector's own metrics count the metric points each exporter's metrics instance sent.
    // (otelcol writes a request down before it answers: the count may follow a moment later.)
    let own: Sample[] = [];
    const sentCounted = await eventually(async () => {
      own = parsePrometheus(await (await fetch(telemetryUrl)).text());
      return ['otlphttp', 'otlp'].every((exporter) => (valueOf(own, 'otelcol_exporter_sent_metric_points_total', { exporter }) ?? 0) > 0);
    }, 10_000);
    assert.ok(
      sentCounted,
      own
        .filter((s) => s.name.includes('metric_points'))
        .map((s) => JSON.stringify(s))
        .join('\n'),
    );
    for (const exporter of ['otlphttp', 'otlp']) {
      assert.equal(valueOf(own, 'otelcol_exporter_queue_capacity', { exporter, data_type: 'metrics' }), 1000, exporter);
    }
  });

  test('a later evaluation counts as agreeing or not, and delta metrics send each count once', async () => {
    recordEvaluations(tracer);
    await provider.forceFlush();

    let samples: Sample[] = [];
    const scraped = await eventually(async () => {
      samples = parsePrometheus(await (await fetch(scrapeUrl)).text());
      // Each connector flushes on its own timer: wait for both.
      return ['decision', 'decision_delta'].every(
        (prefix) =>
          valueOf(samples, `${prefix}_evaluations_total`, { ...APPROVED_LABELS, decision_evaluation_agreement: 'agree' }) !== undefined &&
          valueOf(samples, `${prefix}_evaluations_total`, { ...DENIED_LABELS, decision_evaluation_agreement: 'disagree' }) !== undefined,
      );
    }, 30_000);
    assert.ok(scraped, `no evaluations scraped:\n${collector.logs()}`);
    for (const prefix of ['decision', 'decision_delta']) {
      assert.equal(valueOf(samples, `${prefix}_evaluations_total`, { ...APPROVED_LABELS, decision_evaluation_agreement: 'agree' }), 1);
      assert.equal(valueOf(samples, `${prefix}_evaluations_total`, { ...DENIED_LABELS, decision_evaluation_agreement: 'disagree' }), 1);
      // The evaluation does not count the decision again.
      assert.equal(valueOf(samples, `${prefix}_count_total`, APPROVED_LABELS), 4);
    }

    // A decision whose start came alone is not counted until its outcome arrives; then once,
    // with the dimensions of both events.
    assert.ok(
      samples.every((s) => s.labels.decision_type !== 'fraud.screen'),
      'no outcome yet, no count',
    );
    fraudEvent(tracer, 'outcome', { 'dt.outcome': 'clear' });
    // One more approved refund in a later flush: the prometheus exporter adds the new delta to
    // the series it holds.
    decisionSpan(tracer, T0 + 60_000, 40, {
      'decision.id': `r7-${RUN}`,
      'decision.type': 'refund.approve.v2',
      'decision.outcome': 'approved',
      'decision.tenant_id': 'acme',
      'decision.environment': 'test',
      'decision.actor.type': 'agent',
    }).end(T0 + 60_040);
    await provider.forceFlush();
    const fraud = {
      decision_type: 'fraud.screen',
      decision_version: 'v3',
      decision_outcome: 'clear',
      decision_tenant: 'acme',
      decision_environment: 'test',
      decision_actor_type: 'system',
    };
    const counted = await eventually(async () => {
      samples = parsePrometheus(await (await fetch(scrapeUrl)).text());
      return (
        valueOf(samples, 'decision_delta_count_total', fraud) === 1 &&
        valueOf(samples, 'decision_delta_count_total', APPROVED_LABELS) === 5 &&
        valueOf(samples, 'decision_count_total', APPROVED_LABELS) === 5
      );
    }, 30_000);
    assert.ok(
      await eventually(async () => valueOf(parsePrometheus(await (await fetch(scrapeUrl)).text()), 'decision_raw_count_total', APPROVED_LABELS) === 5, 30_000),
      'a connector in a pipeline without the decision processor finds the decisions itself, with the same extraction',
    );
    assert.ok(
      counted,
      `the fraud decision and the seventh refund were not counted:\n${samples
        .filter((s) => s.name.endsWith('count_total'))
        .map((s) => JSON.stringify(s))
        .join('\n')}\n${collector.logs()}`,
    );

    // Let a few more flushes pass, then read what otelcol got: the cumulative connector sends
    // the totals again with each flush, the delta one each increment once.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const points = otlpPoints(metricsFile);
    const deltaCounts = points.filter((p) => p.metric === 'decision_delta.count' && matches(p.attributes, APPROVED));
    assert.ok(deltaCounts.length >= 1 && deltaCounts.every((p) => p.temporality === 1), 'AGGREGATION_TEMPORALITY_DELTA');
    assert.ok(deltaCounts.length >= 2, 'the approved count changed in two flushes');
    assert.equal(
      deltaCounts.reduce((sum, p) => sum + p.value!, 0),
      5,
      'the deltas add up to the count, each sent once',
    );
    const cumulativeCounts = points.filter((p) => p.metric === 'decision.count' && matches(p.attributes, APPROVED));
    assert.ok(cumulativeCounts.length >= 3, 'cumulative totals are sent with every flush');
    assert.deepEqual([...new Set(cumulativeCounts.map((p) => p.value))], [4, 5], 'the running total, again with every flush');
    // The otlp (gRPC) exporter delivered the same.
    const grpcDelta = otlpPoints(grpcMetricsFile).filter((p) => p.metric === 'decision_delta.count' && matches(p.attributes, APPROVED));
    assert.equal(
      grpcDelta.reduce((sum, p) => sum + p.value!, 0),
      5,
      'the deltas over OTLP/gRPC',
    );
    const agreements = points.filter((p) => p.metric === 'decision_delta.evaluations');
    assert.deepEqual(agreements.map((p) => [p.attributes['decision.outcome'], p.attributes['decision.evaluation.agreement'], p.value]).sort(), [
      ['approved', 'agree', 1],
      ['denied', 'disagree', 1],
    ]);
  });
});
