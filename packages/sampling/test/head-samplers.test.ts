import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace, SamplingDecision, type Tracer } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ManualClock } from '../src/clock.js';
import { ConsistentRatioSampler } from '../src/head/consistent-ratio-sampler.js';
import { DecisionAwareSampler } from '../src/head/decision-aware-sampler.js';
import { RateLimitingSampler } from '../src/head/rate-limiting-sampler.js';
import { ProbabilisticSpanSampler } from '../src/otep235/probabilistic-sampler.js';

function providerWith(sampler: Sampler, extra: SpanProcessor[] = []) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter), ...extra] });
  return { tracer: provider.getTracer('test'), exporter, provider };
}

/** Every span that ended, sampled or only recorded. */
class EndedSpans implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function rootWithChild(tracer: Tracer): void {
  // No context manager is registered: the parent is passed explicitly.
  const root = tracer.startSpan('root');
  tracer.startSpan('child', {}, trace.setSpan(context.active(), root)).end();
  root.end();
}

test('ConsistentRatioSampler under ParentBasedSampler: ~25% of traces, whole, with th:c in tracestate', () => {
  const { tracer, exporter } = providerWith(new ParentBasedSampler({ root: new ConsistentRatioSampler(0.25) }));
  for (let i = 0; i < 2_000; i++) rootWithChild(tracer);
  const spans = exporter.getFinishedSpans();
  const roots = spans.filter((s) => s.name === 'root');
  assert.ok(roots.length > 400 && roots.length < 600, `${roots.length} of 2000`);
  assert.equal(spans.length, roots.length * 2, 'children follow their root');
  for (const span of spans) assert.equal(span.spanContext().traceState?.get('ot'), 'th:c');
});

test('ConsistentRatioSampler agrees with the collector probabilistic sampler on the same trace ids', () => {
  const { tracer, exporter } = providerWith(new ConsistentRatioSampler(0.1));
  const collectorSide = new ProbabilisticSpanSampler({ sampling_percentage: 10 });
  const sampledIds = new Set<string>();
  for (let i = 0; i < 2_000; i++) tracer.startSpan('s').end();
  for (const span of exporter.getFinishedSpans()) sampledIds.add(span.spanContext().traceId);
  for (const traceId of sampledIds) {
    assert.equal(collectorSide.decide({ traceId, traceState: '', attributes: {} }).sampled, true);
  }
});

test('ConsistentRatioSampler reads rv from the parent tracestate', () => {
  const sampler = new ConsistentRatioSampler(0.5);
  const parent = trace.setSpanContext(context.active(), {
    traceId: '0'.repeat(32 - 1) + '1',
    spanId: '1'.repeat(16),
    traceFlags: 1,
    traceState: undefined,
  });
  assert.equal(sampler.shouldSample(parent, '0'.repeat(31) + '1', 's', 0, {}, []).decision, SamplingDecision.NOT_RECORD);
  const rv = trace.setSpanContext(context.active(), {
    traceId: '0'.repeat(31) + '1',
    spanId: '1'.repeat(16),
    traceFlags: 1,
    traceState: {
      get: (k: string) => (k === 'ot' ? 'rv:ffffffffffffff' : undefined),
      set() {
        return this;
      },
      unset() {
        return this;
      },
      serialize: () => 'ot=rv:ffffffffffffff',
    },
  });
  const result = sampler.shouldSample(rv, '0'.repeat(31) + '1', 's', 0, {}, []);
  assert.equal(result.decision, SamplingDecision.RECORD_AND_SAMPLED);
});

test('RateLimitingSampler starts at most its rate of traces (injected clock)', () => {
  const clock = new ManualClock(0);
  const { tracer, exporter } = providerWith(new ParentBasedSampler({ root: new RateLimitingSampler(5, { clock }) }));
  for (let second = 0; second < 4; second++) {
    for (let i = 0; i < 50; i++) rootWithChild(tracer);
    clock.advance(1_000);
  }
  const roots = exporter.getFinishedSpans().filter((s) => s.name === 'root');
  assert.equal(roots.length, 5 * 4);
});

test('DecisionAwareSampler records decision spans even when the trace is not sampled', () => {
  const ended = new EndedSpans();
  const { tracer, exporter } = providerWith(new DecisionAwareSampler(new ParentBasedSampler({ root: new AlwaysOffSampler() })), [ended]);
  const root = tracer.startSpan('request');
  const parent = trace.setSpan(context.active(), root);
  tracer.startSpan('refund.decide', { attributes: { 'decision.type': 'refund.approve' } }, parent).end();
  tracer.startSpan('dt', { attributes: { 'dt.decision_id': 'd-1' } }, parent).end();
  tracer.startSpan('db.query', {}, parent).end();
  root.end();
  assert.deepEqual(ended.spans.map((s) => s.name).sort(), ['dt', 'refund.decide']);
  assert.equal(exporter.getFinishedSpans().length, 0, 'recorded, not sampled: trace backends see nothing');
  for (const span of ended.spans) assert.equal(span.spanContext().traceFlags & 1, 0);
});
