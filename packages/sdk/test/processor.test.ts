import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { extractDecisionEvents, type DecisionEvent } from '@decision-trace/model';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { DecisionSinkError, InMemoryDecisionSink, toModelSpan, type DecisionSink } from '@decision-trace/sdk';
import { recordRefundDecisions } from '../../../test/helpers/decision-app.js';
import { foldRecords, makeSdk, sleep } from './sdk-harness.js';

function byEventId(events: readonly DecisionEvent[]): DecisionEvent[] {
  return [...events].sort((a, b) => a.event_id.localeCompare(b.event_id));
}

/** A sink whose export never settles, recording that it was called. */
function hangingSink(): DecisionSink & { calls: number } {
  return {
    calls: 0,
    export() {
      this.calls++;
      return new Promise<void>(() => {});
    },
  };
}

describe('DecisionSpanProcessor', () => {
  test('converts spans exactly as the collector does after an OTLP round trip', async () => {
    const sdk = makeSdk({ processor: { lineage: false } });
    const tracer = sdk.provider.getTracer('decision-app');
    const app = recordRefundDecisions(tracer, 'roundtrip');
    await sdk.processor.forceFlush();
    const inProcess = (sdk.sink as InMemoryDecisionSink).events;

    // The collector's path: the same finished spans, encoded by the OTel exporter's serializer,
    // decoded by the collector's decoder, converted by the same pure function.
    const body = ProtobufTraceSerializer.serializeRequest(sdk.exportedSpans());
    assert.ok(body);
    const decoded = decodeTraceRequestProtobuf(body);
    const viaCollector = extractDecisionEvents(decoded.resourceSpans);

    assert.equal(inProcess.length, 5, 'attribute span, two span events, two dt spans');
    assert.deepEqual(byEventId(inProcess), byEventId(viaCollector));
    const approve = inProcess.find((e) => e.source === 'otlp.span')!;
    assert.equal(approve.trace_id, app.traceId);
    assert.equal(approve.span_id, app.approveSpanId);
    assert.equal(approve.service_name, 'refund-service');
    assert.deepEqual((approve.payload as { evidence: unknown }).evidence, { amount: 120, customer_tier: 'gold' });
    await sdk.shutdown();
  });

  test('leaves spans without decisions to the processors beside it', async () => {
    const sdk = makeSdk();
    const tracer = sdk.provider.getTracer('plain');
    for (let i = 0; i < 50; i++) {
      tracer.startActiveSpan(`GET /orders/${i}`, (request) => {
        tracer.startSpan('db.query', { attributes: { 'db.statement': 'select 1' } }).end();
        request.addEvent('cache.miss', { key: `order-${i}` });
        request.end();
      });
    }
    await sdk.processor.forceFlush();
    assert.equal(sdk.exportedSpans().length, 100, 'every span reached the other processor');
    assert.equal((sdk.sink as InMemoryDecisionSink).events.length, 0);
    assert.equal((sdk.sink as InMemoryDecisionSink).batches, 0, 'the sink was never called');
    assert.deepEqual(sdk.processor.stats, { queued: 0, dropped: 0, exportedEvents: 0, failedEvents: 0, retries: 0 });
    await sdk.shutdown();
  });

  test('span end never waits for the sink: delivery happens later, off the caller', async () => {
    const sink = hangingSink();
    const sdk = makeSdk({ sink, processor: { scheduledDelayMillis: 60_000, shutdownTimeoutMillis: 50 } });
    const tracer = sdk.provider.getTracer('app');
    const span = tracer.startSpan('refund.decide', { attributes: { 'decision.type': 'refund.approve.v2' } });
    span.end();
    assert.equal(sink.calls, 0, 'nothing was sent from inside end()');
    assert.equal(sdk.processor.stats.queued, 1);
    assert.equal(sdk.exportedSpans().length, 1, 'the span went on to the next processor at once');
    await sdk.shutdown();
  });

  test('bounded queue: beyond maxQueueSize decision spans are dropped and counted', async () => {
    const sink = hangingSink();
    const sdk = makeSdk({ sink, processor: { maxQueueSize: 5, scheduledDelayMillis: 60_000, shutdownTimeoutMillis: 50 } });
    const tracer = sdk.provider.getTracer('app');
    for (let i = 0; i < 20; i++) tracer.startSpan('d', { attributes: { 'decision.type': 'x' } }).end();
    for (let i = 0; i < 20; i++) tracer.startSpan('plain').end();
    assert.equal(sdk.processor.stats.queued, 5);
    assert.equal(sdk.processor.stats.dropped, 15, 'only decision spans are queued, so only they can be dropped');
    assert.equal(sdk.exportedSpans().length, 40);
    await sdk.shutdown();
  });

  test('retryable failures are retried with backoff; the batch is delivered once', async () => {
    const attempts: number[] = [];
    const delivered: DecisionEvent[] = [];
    const sink: DecisionSink = {
      async export(events) {
        attempts.push(Date.now());
        if (attempts.length <= 2) throw new DecisionSinkError('backend busy', { retryable: true });
        delivered.push(...events);
      },
    };
    const sdk = makeSdk({ sink, processor: { retry: { initialBackoffMillis: 40, backoffMultiplier: 2 } } });
    const tracer = sdk.provider.getTracer('app');
    tracer.startSpan('d', { attributes: { 'decision.type': 'refund.approve', 'decision.outcome': 'approved' } }).end();
    await sdk.processor.forceFlush();
    assert.equal(attempts.length, 3);
    assert.equal(delivered.length, 1);
    // 40 ms then 80 ms, each ±20%.
    assert.ok(attempts[1] - attempts[0] >= 30, `first backoff ${attempts[1] - attempts[0]} ms`);
    assert.ok(attempts[2] - attempts[1] >= 62, `second backoff ${attempts[2] - attempts[1]} ms`);
    assert.equal(sdk.processor.stats.retries, 2);
    assert.equal(sdk.processor.stats.exportedEvents, 1);
    await sdk.shutdown();
  });

  test('a permanent failure is not retried; attempts are bounded for retryable ones', async () => {
    let calls = 0;
    const permanent: DecisionSink = {
      async export() {
        calls++;
        throw new DecisionSinkError('rejected', { retryable: false });
      },
    };
    const sdk = makeSdk({ sink: permanent });
    sdk.provider
      .getTracer('app')
      .startSpan('d', { attributes: { 'decision.type': 'x' } })
      .end();
    await sdk.processor.forceFlush();
    assert.equal(calls, 1);
    assert.equal(sdk.processor.stats.failedEvents, 1);
    await sdk.shutdown();

    let flakyCalls = 0;
    const alwaysFailing: DecisionSink = {
      export() {
        flakyCalls++;
        // Any error that is not a DecisionSinkError counts as retryable; a synchronous throw too.
        throw new Error('socket hang up');
      },
    };
    const sdk2 = makeSdk({ sink: alwaysFailing, processor: { retry: { maxAttempts: 3, initialBackoffMillis: 1 } } });
    sdk2.provider
      .getTracer('app')
      .startSpan('d', { attributes: { 'decision.type': 'x' } })
      .end();
    await sdk2.processor.forceFlush();
    assert.equal(flakyCalls, 3);
    assert.equal(sdk2.processor.stats.failedEvents, 1);
    await sdk2.shutdown();
  });

  test('a hanging sink is abandoned after exportTimeoutMillis and shutdown keeps to its deadline', async () => {
    const sink = hangingSink();
    const sdk = makeSdk({
      sink,
      processor: { exportTimeoutMillis: 30, shutdownTimeoutMillis: 300, retry: { maxAttempts: 2, initialBackoffMillis: 1 } },
    });
    sdk.provider
      .getTracer('app')
      .startSpan('d', { attributes: { 'decision.type': 'x' } })
      .end();
    const started = Date.now();
    await sdk.processor.forceFlush();
    assert.equal(sink.calls, 2, 'each attempt timed out and was retried once');
    assert.ok(Date.now() - started < 1000);
    assert.equal(sdk.processor.stats.failedEvents, 1);

    sdk.provider
      .getTracer('app')
      .startSpan('d2', { attributes: { 'decision.type': 'x' } })
      .end();
    const shutdownStarted = Date.now();
    await sdk.shutdown();
    assert.ok(Date.now() - shutdownStarted < 1000, 'shutdown did not wait for the hung sink');
  });

  test('at the shutdown deadline the batch in delivery counts as failed and what is still queued as dropped', async () => {
    const sink = hangingSink();
    const sdk = makeSdk({
      sink,
      processor: { maxExportBatchSize: 1, scheduledDelayMillis: 0, exportTimeoutMillis: 60_000, shutdownTimeoutMillis: 100 },
    });
    const tracer = sdk.provider.getTracer('app');
    for (let i = 0; i < 3; i++) tracer.startSpan('d', { attributes: { 'decision.type': 'x' } }).end();
    await sleep(20);
    assert.equal(sink.calls, 1, 'one batch of one is in delivery, hung');
    const started = Date.now();
    await sdk.shutdown();
    assert.ok(Date.now() - started < 1000, `shutdown took ${Date.now() - started} ms`);
    assert.equal(sdk.processor.stats.failedEvents, 1);
    assert.equal(sdk.processor.stats.dropped, 2);
    assert.equal(sdk.processor.stats.queued, 0);
  });

  test('forceFlush delivers everything queued; after shutdown new decisions are refused and counted', async () => {
    const sdk = makeSdk({ processor: { scheduledDelayMillis: 60_000, maxExportBatchSize: 7 } });
    const tracer = sdk.provider.getTracer('app');
    for (let i = 0; i < 30; i++) tracer.startSpan('d', { attributes: { 'decision.type': 'x', 'decision.id': `d-${i}` } }).end();
    await sdk.processor.forceFlush();
    const sink = sdk.sink as InMemoryDecisionSink;
    assert.equal(sink.events.length, 30);
    assert.equal(sink.batches, 5, 'batches of at most 7');
    const someDecisionSpan = toModelSpan(sdk.exportedSpans()[0]);
    await sdk.shutdown();
    tracer.startSpan('late', { attributes: { 'decision.type': 'x' } }).end();
    sdk.processor.recordUnsampledDecision(someDecisionSpan);
    assert.equal(sdk.processor.stats.dropped, 2);
    await sleep(20);
    assert.equal(sink.events.length, 30, 'nothing was delivered after shutdown');
  });

  test('lineage across batches: a child decision exported before its parent still gets it', async () => {
    const sdk = makeSdk();
    const tracer = sdk.provider.getTracer('agent');
    // The parent only says it is a decision when it ends, as an agent that decides late would.
    const parent = tracer.startSpan('agent.plan');
    const parentContext = trace.setSpan(context.active(), parent);
    const tool = tracer.startSpan('tool.search', {}, parentContext);
    const child = tracer.startSpan(
      'pick-result',
      { attributes: { 'decision.type': 'result.pick.v1', 'decision.outcome': 'first' } },
      trace.setSpan(parentContext, tool),
    );
    child.end();
    await sdk.processor.forceFlush();
    tool.end();
    await sdk.processor.forceFlush();
    parent.setAttributes({ 'decision.type': 'agent.plan.v1', 'decision.id': 'plan-1', 'decision.outcome': 'search' });
    parent.end();
    const records = await sdk.records();
    const childId = `${child.spanContext().traceId}-${child.spanContext().spanId}`;
    assert.equal(records.get(childId)?.parent_decision_id, 'plan-1');
    assert.equal(records.get('plan-1')?.parent_decision_id, null);
    await sdk.shutdown();
  });

  test('delivery creates no telemetry of its own: tracing is suppressed inside the sink', async () => {
    const recording: boolean[] = [];
    let tracerRef: ReturnType<typeof sdk.provider.getTracer> | undefined;
    const sink: DecisionSink = {
      async export() {
        // What an HTTP client instrumentation would do for the sink's own request.
        const before = tracerRef!.startSpan('POST /v1/events');
        recording.push(before.isRecording());
        before.end();
        await sleep(1);
        const after = tracerRef!.startSpan('POST /v1/events (after await)');
        recording.push(after.isRecording());
        after.end();
      },
    };
    const sdk = makeSdk({ sink });
    tracerRef = sdk.provider.getTracer('http-client');
    tracerRef.startSpan('d', { attributes: { 'decision.type': 'x' } }).end();
    await sdk.processor.forceFlush();
    assert.deepEqual(recording, [false, false]);
    assert.equal(sdk.exportedSpans().length, 1, 'only the application span');
    await sdk.shutdown();
  });

  test('a big batch is converted a slice at a time, letting the application run in between', async () => {
    const sdk = makeSdk({ processor: { scheduledDelayMillis: 60_000 } });
    const tracer = sdk.provider.getTracer('app');
    for (let i = 0; i < 300; i++) tracer.startSpan('refund.decide', { attributes: { 'decision.type': 'refund.approve', 'decision.outcome': 'ok' } }).end();
    const sink = sdk.sink as InMemoryDecisionSink;
    const flushed = sdk.processor.forceFlush();
    let deliveredBeforeTheApplicationRan: number | undefined;
    setImmediate(() => (deliveredBeforeTheApplicationRan = sink.events.length));
    await flushed;
    assert.equal(deliveredBeforeTheApplicationRan, 0, 'the application ran while the batch was being converted');
    assert.equal(sink.events.length, 300);
    assert.equal(sink.batches, 1, 'still one batch for the sink');
    await sdk.shutdown();
  });

  test('decisions in span events on ordinary spans are found too', async () => {
    const sdk = makeSdk();
    const span = sdk.provider.getTracer('app').startSpan('route');
    span.addEvent('decision', { 'decision.id': 'route-1', 'decision.type': 'route.pick', 'decision.outcome': 'eu' });
    span.end();
    const records = await sdk.records();
    assert.equal(records.get('route-1')?.outcome, 'eu');
    assert.deepEqual([...foldRecords((sdk.sink as InMemoryDecisionSink).events).keys()], ['route-1']);
    await sdk.shutdown();
  });
});
