import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { addDecisionSummaryEvent, currentDecision, decisionLogFields, linkDecisionToSpan } from '@decision-trace/sdk';
import { foldRecords, makeSdk } from './sdk-harness.js';
import { InMemoryDecisionSink } from '@decision-trace/sdk';

describe('linking helpers', () => {
  test('linkCallerSpan puts decision.id / decision.trace_id and a decision summary event on the caller span', async () => {
    const sdk = makeSdk();
    const tracer = sdk.provider.getTracer('http');
    const ids = await tracer.startActiveSpan('POST /refunds', async (request) => {
      const made = await sdk.dt.decision({ type: 'refund.approve.v2', tenant: 'acme', environment: 'prod', linkCallerSpan: true }, async (d) => {
        const nested = await sdk.dt.decision({ type: 'notify.channel.v1', tenant: 'acme', linkCallerSpan: true }, (n) => n.outcome('email').id);
        d.outcome('approved');
        return { id: d.id, traceId: d.traceId, nested };
      });
      request.end();
      return made;
    });
    const request = sdk.exportedSpans().find((s) => s.name === 'POST /refunds')!;
    assert.equal(request.attributes['decision.id'], ids.id);
    assert.equal(request.attributes['decision.trace_id'], ids.traceId);
    const summary = request.events.find((e) => e.name === 'decision')!;
    assert.deepEqual(summary.attributes, {
      'decision.id': ids.id,
      'decision.type': 'refund.approve.v2',
      'decision.outcome': 'approved',
      'decision.tenant_id': 'acme',
      'decision.environment': 'prod',
    });
    // The nested decision's caller is the parent decision's span.
    const parentSpan = sdk.exportedSpans().find((s) => s.name === 'refund.approve.v2')!;
    assert.equal(parentSpan.attributes['decision.id'], ids.nested);

    // The summaries are more observations of the same decisions, in the same tenant: still one
    // record per decision, with the right parent.
    await sdk.processor.forceFlush();
    const events = (sdk.sink as InMemoryDecisionSink).events;
    assert.equal(events.filter((e) => e.decision_id === ids.id).length, 2, 'the decision span and the summary');
    const records = foldRecords(events);
    assert.equal(records.size, 2);
    assert.equal(records.get(ids.id)?.outcome, 'approved');
    assert.equal(records.get(ids.nested)?.parent_decision_id, ids.id);
    assert.equal(records.get(ids.nested)?.tenant, 'acme');
    await sdk.shutdown();
  });

  test('the helpers work on any span, by default the active one', async () => {
    const sdk = makeSdk();
    const tracer = sdk.provider.getTracer('worker');
    await tracer.startActiveSpan('job', async (job) => {
      const d = await sdk.dt.decision({ type: 'retry.policy.v1' }, (x) => {
        x.outcome('backoff');
        assert.equal(currentDecision()?.id, x.id);
        return x;
      });
      assert.equal(currentDecision(), undefined, 'outside the callback there is no current decision');
      linkDecisionToSpan(d);
      addDecisionSummaryEvent(d);
      job.end();
      const span = sdk.exportedSpans().find((s) => s.name === 'job')!;
      assert.equal(span.attributes['decision.id'], d.id);
      assert.equal(span.events[0].attributes?.['decision.outcome'], 'backoff');
    });
    await sdk.shutdown();
  });

  test('pino mixin adds trace_id, span_id and decision_id to log lines', async () => {
    const sdk = makeSdk();
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = pino({ mixin: decisionLogFields }, destination);
    const tracer = sdk.provider.getTracer('http');
    logger.info('before any span');
    const ids = await tracer.startActiveSpan('POST /refunds', async (request) => {
      logger.info('request received');
      const made = await sdk.dt.decision({ type: 'refund.approve.v2' }, async (d) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        logger.info('deciding');
        return { id: d.id, spanId: d.spanId };
      });
      request.end();
      return { ...made, requestSpanId: request.spanContext().spanId, traceId: request.spanContext().traceId };
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, 3);
    assert.equal(lines[0].trace_id, undefined);
    assert.equal(lines[0].decision_id, undefined);
    assert.equal(lines[1].trace_id, ids.traceId);
    assert.equal(lines[1].span_id, ids.requestSpanId);
    assert.equal(lines[1].decision_id, undefined);
    assert.equal(lines[2].trace_id, ids.traceId);
    assert.equal(lines[2].span_id, ids.spanId);
    assert.equal(lines[2].decision_id, ids.id);
    await sdk.shutdown();
  });
});
