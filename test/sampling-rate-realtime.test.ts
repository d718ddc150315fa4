import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultComponents, isMutatingProcessor, type ProcessorComponent, type TraceBatch, type TracesConsumer } from '@decision-trace/collector';
import type { Span } from '@decision-trace/model';
import { MetricsRegistry } from '../packages/collector/src/telemetry/metrics-registry.js';
import { asResourceSpans, batchOf, hex, makeSpan, metricsHost, silentLogger } from './sampling-fixtures.js';

/**
 * The running `rate_limiting` processor, on the real clock: for 5 s it is offered about four
 * times its rate, and what it lets through must be the configured rate within ±10%. The bucket
 * is emptied first, so the initial burst is not counted; the default burst (one second's worth)
 * keeps event-loop stalls shorter than a second on a loaded machine from costing capacity.
 */
const WINDOW_MS = 5_000;
const OVERSUBSCRIPTION = 4;

/** Counts what leaves the processor without keeping it. */
class CountingConsumer implements TracesConsumer {
  spans = 0;
  readonly traces = new Set<string>();

  async consumeTraces(batch: TraceBatch): Promise<void> {
    this.spans += batch.spanCount;
    for (const rs of batch.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) this.traces.add(span.traceId);
  }
}

function rateLimiter(config: Record<string, unknown>, metrics: MetricsRegistry, next: TracesConsumer, pipeline = 'traces'): ProcessorComponent {
  const factory = defaultComponents().get('processor', 'rate_limiting')!;
  assert.ok(!isMutatingProcessor(factory), 'our processors only read the spans they are handed');
  return factory.create({ id: 'rate_limiting', config: factory.configSchema.parse(config), logger: silentLogger, host: metricsHost(metrics), pipeline }, next);
}

/** `traces` new traces of `spansPerTrace` spans each, in one batch. */
function traffic(traces: number, spansPerTrace: number): TraceBatch {
  const spans: Span[] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = hex(16);
    for (let s = 0; s < spansPerTrace; s++) spans.push(makeSpan(traceId));
  }
  return batchOf(asResourceSpans(spans));
}

interface Measurement {
  /** Units (spans or traces) let through during the window, after the burst was spent. */
  admitted: number;
  offered: number;
  elapsedMs: number;
}

/**
 * Spends the initial burst, then offers OVERSUBSCRIPTION × rate (in new traces of
 * `spansPerTrace` spans, sized to the time since the last offer) until the window is over.
 */
async function drive(
  processor: ProcessorComponent,
  sink: CountingConsumer,
  rate: number,
  unit: 'spans' | 'traces',
  spansPerTrace: number,
): Promise<Measurement> {
  const admittedSoFar = () => (unit === 'spans' ? sink.spans : sink.traces.size);
  const unitsPerTrace = unit === 'spans' ? spansPerTrace : 1;
  await processor.consumeTraces(traffic(Math.ceil((rate * 2) / unitsPerTrace), spansPerTrace));
  const burst = admittedSoFar();
  const start = Date.now();
  let last = start;
  let offered = 0;
  let lastOfferAt = start;
  while (last - start < WINDOW_MS) {
    await sleep(10);
    const now = Date.now();
    const units = Math.ceil((OVERSUBSCRIPTION * rate * (now - last)) / 1000) + 1;
    const traces = Math.ceil(units / unitsPerTrace);
    offered += traces * unitsPerTrace;
    lastOfferAt = now;
    await processor.consumeTraces(traffic(traces, spansPerTrace));
    last = now;
  }
  return { admitted: admittedSoFar() - burst, offered, elapsedMs: lastOfferAt - start };
}

function assertWithinTenPercent(name: string, measured: Measurement, rate: number): void {
  const expected = (rate * measured.elapsedMs) / 1000;
  const deviation = (measured.admitted - expected) / expected;
  assert.ok(measured.offered > measured.admitted * 2, `${name}: the processor was offered more than it may let through`);
  assert.ok(
    Math.abs(deviation) <= 0.1,
    `${name}: let ${measured.admitted} through in ${measured.elapsedMs} ms, expected ${expected.toFixed(0)} (${(deviation * 100).toFixed(1)} %)`,
  );
}

test('rate_limiting holds spans_per_second and traces_per_second over 5 s within ±10% on the real clock', async () => {
  const metrics = new MetricsRegistry();
  const spanSink = new CountingConsumer();
  const traceSink = new CountingConsumer();
  const bySpans = rateLimiter({ spans_per_second: 400 }, metrics, spanSink, 'traces/spans');
  const byTraces = rateLimiter({ traces_per_second: 100 }, metrics, traceSink, 'traces/traces');
  // Both run at once, as two pipelines of one collector would.
  const [spans, traces] = await Promise.all([drive(bySpans, spanSink, 400, 'spans', 1), drive(byTraces, traceSink, 100, 'traces', 3)]);
  assertWithinTenPercent('spans_per_second: 400', spans, 400);
  assertWithinTenPercent('traces_per_second: 100', traces, 100);
  assert.equal(traceSink.spans, traceSink.traces.size * 3, 'every span of an admitted trace follows it');
});

test('rate_limiting counts what it let through and dropped on the collector metrics', async () => {
  const metrics = new MetricsRegistry();
  const sink = new CountingConsumer();
  const byTraces = rateLimiter({ traces_per_second: 1, burst: 5 }, metrics, sink);
  await byTraces.consumeTraces(traffic(8, 3));
  const labels = { processor: 'rate_limiting', pipeline: 'traces' };
  const value = (name: string, sampled: string) => metrics.valueOf(name, { ...labels, sampled });
  assert.equal(sink.traces.size, 5, 'the burst');
  assert.equal(value('otelcol_processor_rate_limiting_count_traces_processed_total', 'true'), 5);
  assert.equal(value('otelcol_processor_rate_limiting_count_traces_processed_total', 'false'), 3);
  assert.equal(value('otelcol_processor_rate_limiting_count_spans_processed_total', 'true'), 15);
  assert.equal(value('otelcol_processor_rate_limiting_count_spans_processed_total', 'false'), 9);

  const bySpans = rateLimiter({ spans_per_second: 1, burst: 4 }, metrics, new CountingConsumer(), 'traces/spans');
  await bySpans.consumeTraces(traffic(2, 5));
  const spansLabels = { processor: 'rate_limiting', pipeline: 'traces/spans' };
  assert.equal(metrics.valueOf('otelcol_processor_rate_limiting_count_spans_processed_total', { ...spansLabels, sampled: 'true' }), 4);
  assert.equal(metrics.valueOf('otelcol_processor_rate_limiting_count_spans_processed_total', { ...spansLabels, sampled: 'false' }), 6);
  assert.equal(
    metrics.valueOf('otelcol_processor_rate_limiting_count_traces_processed_total', { ...spansLabels, sampled: 'true' }),
    undefined,
    'no trace counts in spans mode',
  );
});
