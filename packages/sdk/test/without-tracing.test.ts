import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { decision, DecisionSpanProcessor, decisionLogFields, InMemoryDecisionSink } from '@decision-trace/sdk';
import { foldRecords, sleep } from './sdk-harness.js';

// This file installs no tracer provider and no context manager, like an application that has
// not set up OpenTelemetry (yet): the OTel API is all no-ops.
describe('decisions without a tracing SDK or context manager', () => {
  test('are recorded by the registered processor, with ids of their own and nesting across await', async () => {
    const probe = context.active().setValue(Symbol('probe'), 1);
    assert.notEqual(
      context.with(probe, () => context.active()),
      probe,
      'no context manager installed',
    );
    assert.equal(trace.getTracer('probe').startSpan('probe').isRecording(), false, 'no SDK installed');
    const sink = new InMemoryDecisionSink();
    const processor = new DecisionSpanProcessor({ sink, resource: { 'service.name': 'batch-job' } });

    const logged: Array<Record<string, unknown>> = [];
    const made = await decision({ type: 'invoice.route.v1', tenant: 'acme' }, async (d) => {
      await sleep(1);
      const children = await Promise.all(
        [1, 2, 3].map((i) =>
          decision({ type: 'invoice.line.check.v1', tenant: 'acme' }, async (c) => {
            await sleep(i);
            logged.push({ ...decisionLogFields() });
            c.outcome(i % 2 ? 'ok' : 'flagged');
            return c.id;
          }),
        ),
      );
      d.evidence('lines', 3).outcome('accounts-payable');
      return { id: d.id, traceId: d.traceId, spanId: d.spanId, children };
    });
    await processor.shutdown();

    assert.match(made.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(made.traceId, '0'.repeat(32));
    assert.match(made.spanId, /^[0-9a-f]{16}$/);
    const records = foldRecords(sink.events);
    assert.equal(records.get(made.id)?.outcome, 'accounts-payable');
    assert.equal(records.get(made.id)?.service_name, 'batch-job');
    for (const child of made.children) {
      const record = records.get(child)!;
      assert.equal(record.parent_decision_id, made.id, 'the parent came through our own AsyncLocalStorage');
      assert.equal(record.trace_id, made.traceId, 'children share the parent decision trace');
    }
    assert.deepEqual(new Set(logged.map((l) => l.decision_id)), new Set(made.children));
    assert.ok(logged.every((l) => l.trace_id === made.traceId));
  });

  test('without any processor registered, decision() still runs the callback and returns its value', async () => {
    assert.equal(await decision({ type: 'noop.v1' }, (d) => d.outcome('fine').outcomeValue), 'fine');
  });
});
