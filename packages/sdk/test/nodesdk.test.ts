import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { decision, DecisionSpanProcessor, decisionSync, InMemoryDecisionSink, observe, traced } from '@decision-trace/sdk';
import { foldRecords } from './sdk-harness.js';

/** The user's own exporter; unlike InMemorySpanExporter it keeps its spans after shutdown. */
class CollectingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
  getFinishedSpans(): ReadableSpan[] {
    return this.spans;
  }
}

/** NodeSDK registers globals; each test starts from none, as a fresh process would. */
function resetGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

describe('in an existing NodeSDK set-up, with the top-level API', () => {
  test('the processor added to spanProcessors records decisions; the other processors keep every span', async () => {
    resetGlobals();
    const exporter = new CollectingExporter();
    const sink = new InMemoryDecisionSink();
    // The three lines a user adds: a sink, the processor, and the processor in the list.
    const decisions = new DecisionSpanProcessor({ sink });
    const sdk = new NodeSDK({
      resource: resourceFromAttributes({ 'service.name': 'checkout' }),
      spanProcessors: [new BatchSpanProcessor(exporter), decisions],
      instrumentations: [],
    });
    sdk.start();

    const lookupOrder = observe(async (orderId: string) => ({ orderId, amount: 40 }), { name: 'lookup_order', kind: 'TOOL' });
    const result = await traced('POST /refunds', async () => {
      return decision({ type: 'refund.approve.v2', actor: { id: 'refund-bot', type: 'agent' } }, async (d) => {
        const order = await lookupOrder('o-77');
        d.evidence('order', order);
        const tier = decisionSync({ type: 'tier.classify.v1' }, (t) => t.outcome('gold').outcomeValue);
        d.outcome(order.amount < 100 && tier === 'gold' ? 'approved' : 'denied', { confidence: 0.9 });
        return { id: d.id, traceId: d.traceId };
      });
    });
    await sdk.shutdown();

    const records = foldRecords(sink.events);
    const record = records.get(result.id)!;
    assert.equal(record.outcome, 'approved');
    assert.deepEqual(record.evidence, { order: { orderId: 'o-77', amount: 40 } });
    assert.equal(record.service_name, 'checkout');
    const tierRecord = [...records.values()].find((r) => r.type === 'tier.classify')!;
    assert.equal(tierRecord.parent_decision_id, result.id);
    const names = exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .sort();
    assert.deepEqual(names, ['POST /refunds', 'lookup_order', 'refund.approve.v2', 'tier.classify.v1']);
    assert.ok(exporter.getFinishedSpans().every((s) => s.spanContext().traceId === result.traceId));
  });

  test('with NodeSDK sampling nothing, decision() still records through the registered processor', async () => {
    resetGlobals();
    const exporter = new CollectingExporter();
    const sink = new InMemoryDecisionSink();
    const sdk = new NodeSDK({
      resource: resourceFromAttributes({ 'service.name': 'checkout' }),
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new BatchSpanProcessor(exporter), new DecisionSpanProcessor({ sink })],
      instrumentations: [],
    });
    sdk.start();
    const ids = await decision({ type: 'refund.approve.v2', tenant: 'acme' }, async (d) => {
      const child = await decision({ type: 'notify.channel.v1', tenant: 'acme' }, (c) => c.outcome('email').id);
      d.evidence('amount', 12).outcome('approved');
      return { parent: d.id, child };
    });
    await sdk.shutdown();
    assert.equal(exporter.getFinishedSpans().length, 0);
    const records = foldRecords(sink.events);
    assert.equal(records.get(ids.parent)?.outcome, 'approved');
    assert.equal(records.get(ids.child)?.parent_decision_id, ids.parent);
    assert.equal(records.get(ids.child)?.tenant, 'acme');
  });
});
