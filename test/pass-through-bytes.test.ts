import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Span } from '@decision-trace/model';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { ProbabilisticSpanSampler } from '@decision-trace/sampling';
import { collectorEndpoints, eventually, launchTestCollector, startGrpcSink, startHttpSink, type CollectorProcess, type OtlpSink } from './delivery-sink.js';

/**
 * Pass-through forwarding (#19): spans that no component changed leave the otlphttp and otlp
 * exporters in the bytes the client sent them in; wherever a processor changed, dropped or split
 * spans, the sink gets those changes, never the stale received bytes. One collector, one
 * receiver, a pipeline per processor: the pipelines share the received spans, so a change in one
 * must not show in another either.
 */

/** Records each request body the OTel JS exporter sends, and passes it on to the collector. */
async function startRecordingProxy(target: () => string): Promise<{ url: string; bodies: Buffer[]; close: () => Promise<void> }> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      bodies.push(body);
      const answer = await fetch(`${target()}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/x-protobuf' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const SECRET = 'alice@example.com';
const TRACES = 12;

/** Traces of a root and two children; every fourth has an error; the first child carries an e-mail address. */
function emitTraces(tracer: Tracer): void {
  for (let t = 0; t < TRACES; t++) {
    const root = tracer.startSpan(`checkout ${t}`, { attributes: { 'order.id': t } });
    const parent = trace.setSpan(context.active(), root);
    const child = tracer.startSpan('charge', { attributes: { 'user.email': SECRET, 'payment.amount': 12.5 + t } }, parent);
    if (t % 4 === 0) child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
    child.end();
    tracer.startSpan('notify', { attributes: { channel: 'mail' } }, parent).end();
    root.end();
  }
}

function spansOf(requests: OtlpSink['requests']): Span[] {
  return requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
}

const bySpanId = (spans: Span[]) => new Map(spans.map((span) => [span.spanId, span]));

describe('pass-through: unchanged spans forwarded as received, changed ones never stale', () => {
  const sinks: Record<'plain' | 'grpc' | 'redacted' | 'proportional' | 'tail' | 'split', OtlpSink> = {} as never;
  let collector: CollectorProcess;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let provider: BasicTracerProvider;
  let sent: Span[];

  before(async () => {
    for (const name of ['plain', 'redacted', 'proportional', 'tail', 'split'] as const) sinks[name] = await startHttpSink();
    sinks.grpc = await startGrpcSink();
    const endpoints = await collectorEndpoints();
    const dir = mkdtempSync(join(tmpdir(), 'dt-pass-through-'));
    // The split pipeline's cap of 5 spans holds up to the sink only if the exporter never merges waiting requests beyond it.
    const exporter = (name: keyof typeof sinks) =>
      `  otlphttp/${name}:\n    endpoint: ${sinks[name].url}\n${name === 'split' ? '    sending_queue: { merge: { max_items: 5 } }\n' : ''}`;
    const pipeline = (name: string, processors: string, exporters: string) =>
      `    traces/${name}:\n      receivers: [otlp]\n      processors: [${processors}]\n      exporters: [${exporters}]\n`;
    collector = await launchTestCollector(join(dir, 'collector-config.yaml'), endpoints, {
      components: `processors:
  batch:
    timeout: 300ms
  batch/split:
    timeout: 300ms
    send_batch_size: 5
    send_batch_max_size: 5
  redaction:
    rules:
      - { key: user.email, action: mask }
  probabilistic_sampler:
    mode: proportional
    sampling_percentage: 50
  tail_sampling:
    decision_wait: 1s
    policies:
      - { name: errors, type: status_code, status_code: { status_codes: [ERROR] } }
exporters:
${exporter('plain')}${exporter('redacted')}${exporter('proportional')}${exporter('tail')}${exporter('split')}  otlp:
    endpoint: ${sinks.grpc.url}
    tls:
      insecure: true`,
      pipelines: [
        pipeline('plain', 'batch', 'otlphttp/plain, otlp'),
        pipeline('redacted', 'redaction, batch', 'otlphttp/redacted'),
        pipeline('proportional', 'probabilistic_sampler, batch', 'otlphttp/proportional'),
        pipeline('tail', 'tail_sampling, batch', 'otlphttp/tail'),
        pipeline('split', 'batch/split', 'otlphttp/split'),
      ].join(''),
    });
    proxy = await startRecordingProxy(() => endpoints.otlpUrl);
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment.name': 'test' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${proxy.url}/v1/traces` }))],
    });
    emitTraces(provider.getTracer('pass-through-test', '1.0.0'));
    await provider.forceFlush();
    sent = proxy.bodies.flatMap((body) => decodeTraceRequestProtobuf(body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    assert.equal(sent.length, TRACES * 3);
    const total = TRACES * 3;
    const errorTraces = Math.ceil(TRACES / 4);
    assert.ok(
      await eventually(
        () =>
          spansOf(sinks.plain.requests).length === total &&
          spansOf(sinks.grpc.requests).length === total &&
          spansOf(sinks.redacted.requests).length === total &&
          spansOf(sinks.split.requests).length === total &&
          spansOf(sinks.tail.requests).length === errorTraces * 3,
        20_000,
      ),
      `every sink got its spans: ${Object.entries(sinks)
        .map(([name, sink]) => `${name} ${spansOf(sink.requests).length}`)
        .join(', ')}\n${collector.logs()}`,
    );
    // The proportional sampler's pipeline has no fixed count; its batch is flushed by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
  });

  after(async () => {
    await provider?.shutdown();
    await collector?.stop();
    await proxy?.close();
    await Promise.all(Object.values(sinks).map((sink) => sink?.close()));
  });

  test('otlphttp and otlp (gRPC) forward what the OTel JS exporter sent, byte for byte', () => {
    const received = Buffer.concat(proxy.bodies);
    assert.ok(Buffer.concat(sinks.plain.requests.map((r) => r.body)).equals(received), 'otlphttp body differs from the SDK request');
    assert.ok(Buffer.concat(sinks.grpc.requests.map((r) => r.body)).equals(received), 'otlp (gRPC) body differs from the SDK request');
  });

  test('redaction: the sink gets the masked value, not the received bytes; everything else as sent', () => {
    for (const request of sinks.redacted.requests) assert.ok(!request.body.includes(SECRET), 'the raw e-mail address was forwarded');
    const original = bySpanId(sent);
    for (const span of spansOf(sinks.redacted.requests)) {
      const before = original.get(span.spanId)!;
      if ('user.email' in before.attributes) {
        assert.notEqual(span.attributes['user.email'], SECRET);
        assert.deepStrictEqual({ ...span, attributes: {} }, { ...before, attributes: {} });
      } else {
        assert.deepStrictEqual(span, before);
      }
    }
  });

  test('probabilistic_sampler (proportional): the kept spans carry the threshold it wrote into their tracestate', () => {
    const sampler = new ProbabilisticSpanSampler({ mode: 'proportional', sampling_percentage: 50 });
    const expected = sent.filter((span) => sampler.decide({ traceId: span.traceId, traceState: span.traceState, attributes: {} }).sampled);
    const got = spansOf(sinks.proportional.requests);
    assert.ok(got.length > 0 && got.length < sent.length, `kept ${got.length} of ${sent.length}`);
    assert.deepStrictEqual(new Set(got.map((s) => s.spanId)), new Set(expected.map((s) => s.spanId)));
    const original = bySpanId(sent);
    for (const span of got) {
      assert.match(span.traceState, /ot=th:/, 'a span went out without the sampler’s threshold: stale bytes');
      assert.deepStrictEqual({ ...span, traceState: '' }, { ...original.get(span.spanId)!, traceState: '' });
    }
  });

  test('tail_sampling: exactly the error traces, their spans as sent', () => {
    const errorTraces = new Set(sent.filter((span) => span.status.code === 2).map((span) => span.traceId));
    const got = spansOf(sinks.tail.requests);
    assert.deepStrictEqual(new Set(got.map((s) => s.traceId)), errorTraces);
    const original = bySpanId(sent);
    for (const span of got) assert.deepStrictEqual(span, original.get(span.spanId));
  });

  test('batch split at send_batch_max_size: requests of at most 5 spans that together hold every span as sent', () => {
    const requests = sinks.split.requests;
    assert.ok(requests.length >= (TRACES * 3) / 5);
    for (const request of requests) assert.ok(spansOf([request]).length <= 5);
    assert.deepStrictEqual(bySpanId(spansOf(requests)), bySpanId(sent));
    // Each request is one valid message holding its spans only (a stale resource's bytes would carry all of them).
    for (const request of requests)
      assert.equal(
        decodeTraceRequestProtobuf(request.body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length,
        spansOf([request]).length,
      );
  });
});
