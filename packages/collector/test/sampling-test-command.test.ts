// `decision-trace sampling test` against the processors the service runs: the same config, the
// same traces, the same verdicts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { AttributeValue, ResourceSpans, Span } from '@decision-trace/model';
import { makeResourceSpans, makeSpan, randomSpanId, randomTraceId } from '@decision-trace/model/testing';
import {
  CollectingConsumer,
  defaultComponents,
  offlineHost,
  parseCollectorConfig,
  type ProcessorComponent,
  type ReadingProcessorFactory,
} from '@decision-trace/collector';
import { runSamplingTest } from '../src/cli/sampling-test.js';
import { tracesPipelineYaml } from './traces-pipeline-yaml.js';

const registry = defaultComponents();

function configOf(processors: string, order: string) {
  return parseCollectorConfig(tracesPipelineYaml(processors, order), registry);
}

/** A root, a child and, with `decision`, a decision span: one trace of `service`. */
function trace(service: string, options: { error?: boolean; decision?: Record<string, AttributeValue> } = {}): ResourceSpans {
  const traceId = randomTraceId();
  const root = makeSpan({ traceId, name: 'request', status: { code: options.error ? 2 : 0, message: '' } });
  const spans: Span[] = [root, makeSpan({ traceId, parentSpanId: root.spanId, spanId: randomSpanId(), name: 'db' })];
  if (options.decision) spans.push(makeSpan({ traceId, parentSpanId: root.spanId, name: 'decide', attributes: options.decision }));
  return makeResourceSpans(spans, { resourceAttributes: { 'service.name': service } });
}

const refund = (outcome: string, confidence: number, type = 'refund.approve.v2') => ({
  'decision.type': type,
  'decision.outcome': outcome,
  'decision.confidence': confidence,
  'decision.actor.type': 'agent',
});

const traceIdOf = (rs: ResourceSpans) => rs.scopeSpans[0].spans[0].traceId;

/**
 * The processors of the config's pipeline as the service builds them (their factories, the
 * system clock, no listener), fed the requests as they arrive, then shut down: the traces whose
 * spans reach the pipeline's end.
 */
async function keptByProcessors(config: ReturnType<typeof configOf>, requests: ResourceSpans[][]): Promise<Set<string>> {
  const pipeline = config.service.pipelines[0];
  const host = offlineHost();
  const sink = new CollectingConsumer();
  const processors: ProcessorComponent[] = [];
  let next: ProcessorComponent | CollectingConsumer = sink;
  for (const id of [...pipeline.processors].reverse()) {
    const resolved = config.processors.get(id)!;
    const processor = (resolved.factory as ReadingProcessorFactory).create(
      { id, config: resolved.config, logger: pino({ level: 'silent' }), host, pipeline: pipeline.id },
      next,
    );
    processors.unshift(processor);
    next = processor;
  }
  for (const processor of processors) await processor.start();
  for (const resourceSpans of requests) {
    const spanCount = resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
    await next.consumeTraces({ resourceSpans, spanCount, decisions: [] });
  }
  for (const processor of processors) await processor.shutdown({ deadline: Date.now() });
  return sink.traceIds();
}

async function compare(config: ReturnType<typeof configOf>, requests: ResourceSpans[][]) {
  const cli = await runSamplingTest(config, requests);
  const kept = await keptByProcessors(config, requests);
  assert.deepEqual(
    new Set(cli.filter((r) => r.decision === 'sampled').map((r) => r.traceId)),
    kept,
    'the traces the CLI calls sampled are the traces the processors keep',
  );
  return new Map(cli.map((r) => [r.traceId, r]));
}

describe("sampling test gives the verdicts of the pipeline's processors", () => {
  test('rate_limiting keyed by service: each service has its own bucket', async () => {
    const config = configOf('  rate_limiting: {traces_per_second: 1, burst: 1, key: service}', 'decision, rate_limiting');
    const [a1, b1, a2, b2] = [trace('a'), trace('b'), trace('a'), trace('b')];
    const verdicts = await compare(config, [[a1, b1, a2, b2]]);
    assert.deepEqual(
      [a1, b1, a2, b2].map((t) => verdicts.get(traceIdOf(t))),
      [
        { traceId: traceIdOf(a1), decision: 'sampled', policy: 'rate_limiting' },
        { traceId: traceIdOf(b1), decision: 'sampled', policy: 'rate_limiting' },
        { traceId: traceIdOf(a2), decision: 'not_sampled', policy: 'rate_limiting' },
        { traceId: traceIdOf(b2), decision: 'not_sampled', policy: 'rate_limiting' },
      ],
    );
  });

  test('rate_limiting keyed by decision type', async () => {
    const config = configOf('  rate_limiting: {traces_per_second: 1, burst: 1, key: decision_type}', 'decision, rate_limiting');
    const traces = [
      trace('a', { decision: refund('approved', 0.9) }),
      trace('a', { decision: refund('approved', 0.9, 'login.deny.v1') }),
      trace('a', { decision: refund('approved', 0.9) }),
    ];
    const verdicts = await compare(config, [traces]);
    // A trace's first span (the root, no decision type) takes the bucket of the type-less key.
    assert.deepEqual(
      traces.map((t) => verdicts.get(traceIdOf(t))!.decision),
      ['sampled', 'not_sampled', 'not_sampled'],
    );
  });

  test('tail_sampling policies, alone and after a probabilistic head sampler', async () => {
    const tail = `  tail_sampling:
    decision_wait: 30s
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
      - {name: risky-refunds, type: decision, decision: {type: "refund.*", outcome: approved, confidence_below: 0.7}}`;
    const traces = [
      ...Array.from({ length: 40 }, () => trace('a', { error: true })),
      ...Array.from({ length: 40 }, () => trace('a', { decision: refund('approved', 0.5) })),
      ...Array.from({ length: 20 }, () => trace('a', { decision: refund('approved', 0.9) })),
    ];
    const alone = await compare(configOf(tail, 'decision, tail_sampling'), [traces.slice(0, 50), traces.slice(50)]);
    assert.equal([...alone.values()].filter((v) => v.decision === 'sampled').length, 80);

    const headFirst = await compare(configOf(`  probabilistic_sampler: {sampling_percentage: 50}\n${tail}`, 'decision, probabilistic_sampler, tail_sampling'), [
      traces,
    ]);
    const byHead = [...headFirst.values()].filter((v) => v.policy === 'probabilistic_sampler');
    assert.ok(byHead.length > 20 && byHead.length < 80, `${byHead.length} of 100 dropped by the head sampler`);
  });
});
