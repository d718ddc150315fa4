import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CollectingConsumer, defaultComponents, isMutatingProcessor, type ProcessorComponent, type TracesConsumer } from '@decision-trace/collector';
import type { DecisionEvent } from '@decision-trace/model';
import type { TailSamplingProcessor } from '../packages/collector/src/processors/tail_sampling/tail-sampling-processor.js';
import { pino } from 'pino';
import { MetricsRegistry } from '../packages/collector/src/telemetry/metrics-registry.js';
import { asResourceSpans, batchOf, makeSpan, makeTrace, metricsHost, noHost, refundDecision, silentLogger } from './sampling-fixtures.js';

const registry = defaultComponents();

function processor(type: string, config: unknown, next: TracesConsumer): ProcessorComponent {
  const factory = registry.get('processor', type)!;
  assert.ok(!isMutatingProcessor(factory), 'our processors only read the spans they are handed');
  return factory.create({ id: type, config: factory.configSchema.parse(config), logger: silentLogger, host: noHost }, next);
}

/** decision processor → the sampler under test → capture, as a pipeline would run them. */
function pipeline(type: string, config: unknown) {
  const sink = new CollectingConsumer();
  const sampler = processor(type, config, sink);
  const decision = processor('decision', {}, sampler);
  return { sink, sampler, decision };
}

const spanIds = (sink: CollectingConsumer) => new Set(sink.spans().map((s) => s.spanId));

describe('probabilistic_sampler processor', () => {
  test('drops spans, never decisions; each decision notes whether its trace was kept and its adjusted count', async () => {
    const { sink, decision } = pipeline('probabilistic_sampler', { sampling_percentage: 25 });
    const traces = Array.from({ length: 400 }, () => makeTrace({ decision: refundDecision('approved', 0.9) }));
    const input = asResourceSpans(traces.flatMap((t) => t.spans));
    await decision.consumeTraces(batchOf(input));

    const decisions = sink.decisions();
    assert.equal(decisions.length, 400, 'every decision reaches the exporters');
    const forwarded = spanIds(sink);
    const keptTraces = traces.filter((t) => forwarded.has(t.spans[0].spanId));
    assert.ok(keptTraces.length > 60 && keptTraces.length < 140, `${keptTraces.length} of 400 kept`);
    for (const t of traces) {
      const inSink = t.spans.filter((s) => forwarded.has(s.spanId)).length;
      assert.ok(inSink === 0 || inSink === t.spans.length, 'a trace is kept or dropped whole');
      const event = decisions.find((d) => d.span_id === t.decisionSpanId)!;
      assert.deepEqual(event.sampling, { trace_sampled: inSink > 0, adjusted_count: 4, policy: 'probabilistic_sampler' });
    }
    for (const span of sink.spans()) assert.equal(span.traceState, 'ot=th:c');
    assert.ok(
      input[0].scopeSpans[0].spans.every((s) => s.traceState === ''),
      'the input batch is not modified',
    );
  });
});

describe('rate_limiting processor', () => {
  test('traces_per_second admits whole traces up to the burst; decisions flow on annotated', async () => {
    const { sink, decision } = pipeline('rate_limiting', { traces_per_second: 3, burst: 3 });
    const traces = Array.from({ length: 10 }, () => makeTrace({ decision: refundDecision('approved', 0.9) }));
    await decision.consumeTraces(batchOf(asResourceSpans(traces.flatMap((t) => t.spans))));
    assert.equal(sink.spans().length, 3 * 3);
    const decisions = sink.decisions();
    assert.equal(decisions.length, 10);
    assert.equal(decisions.filter((d) => d.sampling?.trace_sampled === true).length, 3);
    assert.equal(decisions.filter((d) => d.sampling?.trace_sampled === false).length, 7);
  });

  test('per-service keys give every service its own bucket', async () => {
    const { sink, sampler } = pipeline('rate_limiting', { spans_per_second: 2, burst: 2, key: 'service' });
    const spans = (n: number) => Array.from({ length: n }, () => makeSpan(makeTrace().traceId));
    await sampler.consumeTraces(batchOf([...asResourceSpans(spans(5), 'a'), ...asResourceSpans(spans(5), 'b')]));
    assert.equal(sink.spans().length, 4);
  });
});

describe('tail_sampling processor', () => {
  const config = {
    decision_wait: '40ms',
    policies: [
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'risky-refunds', type: 'decision', decision: { type: 'refund.*', outcome: 'approved', confidence_below: 0.7 } },
    ],
  };

  test('forwards decisions at once, the kept traces spans after decision_wait, and a verdict event per decision', async () => {
    const { sink, sampler, decision } = pipeline('tail_sampling', config);
    await sampler.start();
    try {
      const risky = makeTrace({ decision: refundDecision('approved', 0.5) });
      const safe = makeTrace({ decision: refundDecision('approved', 0.95) });
      const failing = makeTrace({ error: true });
      await decision.consumeTraces(batchOf(asResourceSpans([...risky.spans, ...safe.spans, ...failing.spans])));

      assert.equal(sink.spans().length, 0, 'spans wait for the decision');
      const immediate = sink.decisions();
      assert.equal(immediate.length, 2, 'decision events are never held');
      assert.ok(immediate.every((d) => d.sampling === undefined));

      await waitFor(() => sink.decisions().some((d) => d.event_type === 'decision.sampling'));
      await (sampler as TailSamplingProcessor).tick();
      const kept = spanIds(sink);
      for (const s of [...risky.spans, ...failing.spans]) assert.ok(kept.has(s.spanId));
      for (const s of safe.spans) assert.ok(!kept.has(s.spanId));

      const verdicts = sink.decisions().filter((d) => d.event_type === 'decision.sampling');
      const byDecision = new Map(verdicts.map((d) => [d.decision_id, d]));
      const riskyId = immediate.find((d) => d.trace_id === risky.traceId)!.decision_id;
      const safeId = immediate.find((d) => d.trace_id === safe.traceId)!.decision_id;
      assert.deepEqual(byDecision.get(riskyId)?.sampling, { trace_sampled: true, policy: 'risky-refunds' });
      assert.deepEqual(byDecision.get(safeId)?.sampling, { trace_sampled: false, policy: null });
      assert.equal(byDecision.get(riskyId)?.event_id, `sampling:${riskyId}`);
      assert.equal(byDecision.get(riskyId)?.tenant_id, 'acme');

      // A late span of the kept trace goes straight through; a late decision gets the verdict.
      const before = sink.spans().length;
      const lateDecision = makeSpan(risky.traceId, { attributes: refundDecision('approved', 0.99) });
      await decision.consumeTraces(batchOf(asResourceSpans([lateDecision, makeSpan(safe.traceId)])));
      assert.equal(sink.spans().length, before + 1);
      const late = sink.decisions().find((d) => d.span_id === lateDecision.spanId) as DecisionEvent;
      assert.equal(late.sampling?.trace_sampled, true);
      const telemetry = (sampler as TailSamplingProcessor).telemetry();
      assert.equal(telemetry.lateSpans, 2);
      assert.equal(telemetry.finalDecisions.sampled, 2);
      assert.equal(telemetry.policyDecisions['risky-refunds'].sampled, 1);
    } finally {
      await sampler.shutdown();
    }
  });

  test('ottl_condition: keeps what a condition matches; ignore logs failed conditions, propagate counts the policy error', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const metrics = new MetricsRegistry();
    const factory = registry.get('processor', 'tail_sampling')!;
    assert.ok(!isMutatingProcessor(factory), 'our processors only read the spans they are handed');
    const sink = new CollectingConsumer();
    const failing = 'Len(attributes["n"]) > 0';
    const ottlConfig = factory.configSchema.parse({
      decision_wait: '1h',
      policies: [
        { name: 'ignore', type: 'ottl_condition', ottl_condition: { error_mode: 'ignore', span: [failing, 'name == "request" and IsRootSpan()'] } },
        { name: 'propagate', type: 'ottl_condition', ottl_condition: { error_mode: 'propagate', span: [failing] } },
      ],
    });
    const sampler = factory.create({ id: 'tail_sampling', config: ottlConfig, logger, host: metricsHost(metrics) }, sink);
    await sampler.start();
    const trace = makeTrace();
    trace.spans[1].attributes.n = 1;
    await sampler.consumeTraces(batchOf(asResourceSpans(trace.spans)));
    await sampler.shutdown();
    assert.equal(sink.spans().length, trace.spans.length, 'the root span matched the second condition of "ignore"');
    const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'failed to eval condition');
    assert.equal(warning?.condition, failing);
    assert.match(String(warning?.error), /Len: unsupported target type (nil|int64)/);
    assert.equal((sampler as TailSamplingProcessor).telemetry().evaluationErrors, 1);
    assert.match(metrics.render(), /otelcol_processor_tail_sampling_sampling_policy_evaluation_error_total\{[^}]*\} 1/);
  });

  test('shutdown decides and flushes what is buffered', async () => {
    const { sink, sampler, decision } = pipeline('tail_sampling', { ...config, decision_wait: '1h' });
    await sampler.start();
    const failing = makeTrace({ error: true, decision: refundDecision('denied', 0.9) });
    await decision.consumeTraces(batchOf(asResourceSpans(failing.spans)));
    assert.equal(sink.spans().length, 0);
    await sampler.shutdown();
    assert.equal(sink.spans().length, failing.spans.length);
    assert.equal(sink.decisions().filter((d) => d.event_type === 'decision.sampling').length, 1);
  });

  test('eviction under num_traces reports the evicted traces decisions as not kept', async () => {
    const { sink, sampler, decision } = pipeline('tail_sampling', { ...config, decision_wait: '1h', num_traces: 2 });
    await sampler.start();
    try {
      const traces = Array.from({ length: 3 }, () => makeTrace({ decision: refundDecision('approved', 0.1) }));
      for (const t of traces) await decision.consumeTraces(batchOf(asResourceSpans(t.spans)));
      const verdicts = sink.decisions().filter((d) => d.event_type === 'decision.sampling');
      assert.equal(verdicts.length, 1);
      assert.equal(verdicts[0].trace_id, traces[0].traceId);
      assert.deepEqual(verdicts[0].sampling, { trace_sampled: false, policy: 'evicted_before_decision' });
      assert.equal((sampler as TailSamplingProcessor).telemetry().evictedBeforeDecision, 1);
    } finally {
      await sampler.shutdown();
    }
  });

  test('a verdict the exporters refused is retried on the next tick', async () => {
    let failures = 1;
    const sink = new CollectingConsumer();
    const flaky: TracesConsumer = {
      async consumeTraces(batch) {
        if (batch.decisions.some((d) => d.event_type === 'decision.sampling') && failures-- > 0) throw new Error('store down');
        return sink.consumeTraces(batch);
      },
    };
    const sampler = processor('tail_sampling', { ...config, decision_wait: '1ms' }, flaky);
    const decision = processor('decision', {}, sampler);
    const t = makeTrace({ decision: refundDecision('approved', 0.1) });
    await decision.consumeTraces(batchOf(asResourceSpans(t.spans)));
    await new Promise((r) => setTimeout(r, 5));
    await (sampler as TailSamplingProcessor).tick();
    assert.equal(sink.decisions().filter((d) => d.event_type === 'decision.sampling').length, 0);
    await (sampler as TailSamplingProcessor).tick();
    assert.equal(sink.decisions().filter((d) => d.event_type === 'decision.sampling').length, 1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
