import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { DecisionEvent } from '@decision-trace/model';
import {
  DecisionSpanProcessor,
  DecisionTrace,
  DualSpanExporter,
  InMemoryDecisionSink,
  type DecisionSink,
  type DualSpanExporterOptions,
  type ExportResultLike,
  type ReadableSpanLike,
  type SpanExporterLike,
} from '@decision-trace/sdk';
import { recordRefundDecisions } from '../../../test/helpers/decision-app.js';
import { installContextManager, sleep } from './sdk-harness.js';

type Behaviour = 'ok' | 'hang' | { fail: Error } | { delayMillis: number };

/** A span exporter standing for the application's OTLP exporter, told how to answer each call. */
class ScriptedSpanExporter implements SpanExporterLike {
  readonly delivered: ReadableSpanLike[] = [];
  calls = 0;
  shutdownCalls = 0;
  private readonly script: Behaviour[];

  constructor(...script: Behaviour[]) {
    this.script = script.length > 0 ? script : ['ok'];
  }

  export(spans: ReadableSpanLike[], done: (result: ExportResultLike) => void): void {
    const behaviour = this.script[Math.min(this.calls, this.script.length - 1)];
    this.calls++;
    if (behaviour === 'hang') return;
    if (behaviour === 'ok') {
      this.delivered.push(...spans);
      done({ code: 0 });
    } else if ('fail' in behaviour) {
      done({ code: 1, error: behaviour.fail });
    } else {
      setTimeout(() => {
        this.delivered.push(...spans);
        done({ code: 0 });
      }, behaviour.delayMillis);
    }
  }

  async shutdown(): Promise<void> {
    this.shutdownCalls++;
  }
}

function statusError(code: number): Error {
  return Object.assign(new Error(`status ${code}`), { code });
}

const hangingSink: DecisionSink = { export: () => new Promise<void>(() => {}) };

class SlowSink extends InMemoryDecisionSink {
  shutdownCalls = 0;
  constructor(private readonly delayMillis: number) {
    super();
  }
  override async export(events: readonly DecisionEvent[]): Promise<void> {
    await sleep(this.delayMillis);
    await super.export(events);
  }
  async shutdown(): Promise<void> {
    this.shutdownCalls++;
  }
}

const FAST_RETRY = { initialBackoffMillis: 10, maxBackoffMillis: 20 };

function dual(options: Partial<DualSpanExporterOptions> & Pick<DualSpanExporterOptions, 'spanExporter' | 'decisionSink'>) {
  return new DualSpanExporter({
    ...options,
    spans: { retry: FAST_RETRY, ...options.spans },
    decisions: { scheduledDelayMillis: 5, receiveUnsampledDecisions: false, retry: FAST_RETRY, ...options.decisions },
  });
}

/** Finished spans of one refund request: five spans, four of them carrying five decision events, made by the real SDK. */
function finishedRefundSpans(run: string): ReadableSpan[] {
  const captured = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [new SimpleSpanProcessor(captured)],
  });
  recordRefundDecisions(provider.getTracer('decision-app'), run);
  return captured.getFinishedSpans();
}

function exportNow(exporter: DualSpanExporter, spans: ReadableSpanLike[]): { result: ExportResultLike | undefined } {
  const outcome: { result: ExportResultLike | undefined } = { result: undefined };
  exporter.export(spans, (result) => (outcome.result = result));
  return outcome;
}

async function until(check: () => boolean, timeoutMillis: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMillis;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

describe('DualSpanExporter', () => {
  test('export() calls back before either destination has answered', () => {
    const spanExporter = new ScriptedSpanExporter('hang');
    const exporter = dual({ spanExporter, decisionSink: hangingSink });
    const spans = finishedRefundSpans('immediate');
    const { result } = exportNow(exporter, spans);
    assert.deepEqual(result, { code: 0 }, 'called back synchronously, with success');
    assert.equal(exporter.stats.spans.queued, spans.length);
    assert.equal(exporter.stats.decisions.queued, 4, 'the four decision-carrying spans wait on the decision side');
    assert.equal(spanExporter.calls, 0, 'nothing was sent on the caller’s turn');
  });

  test('every span reaches the span exporter; decisions reach the sink converted as DecisionSpanProcessor converts them', async () => {
    installContextManager();
    const spanExporter = new ScriptedSpanExporter('ok');
    const decisionSink = new InMemoryDecisionSink();
    const exporter = dual({ spanExporter, decisionSink });
    const reference = new InMemoryDecisionSink();
    const referenceProcessor = new DecisionSpanProcessor({ sink: reference, scheduledDelayMillis: 5, receiveUnsampledDecisions: false });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 10 }), referenceProcessor],
    });
    const app = recordRefundDecisions(provider.getTracer('decision-app'), 'both');
    const dt = new DecisionTrace({ tracerProvider: provider, unsampledRecorders: [] });
    const made = await dt.decision({ type: 'refund.approve.v2', tenant: 'acme' }, async (d) => {
      d.evidence('amount', 80);
      const child = await dt.decision({ type: 'customer.tier.assess.v1', tenant: 'acme' }, (t) => (t.outcome('gold'), t.id));
      d.outcome('approved', { confidence: 0.9 });
      return { id: d.id, child };
    });
    await provider.forceFlush();
    await exporter.forceFlush();
    await referenceProcessor.forceFlush();

    const sentIds = spanExporter.delivered.map((s) => s.spanContext().spanId).sort();
    assert.equal(sentIds.length, 7, 'five spans of the refund request and two decision spans');
    assert.ok(sentIds.includes(app.rootSpanId) && sentIds.includes(app.toolSpanId));
    assert.equal(new Set(sentIds).size, sentIds.length, 'each span once');

    const byEventId = (events: readonly DecisionEvent[]) => [...events].sort((a, b) => a.event_id.localeCompare(b.event_id));
    assert.equal(decisionSink.events.length, 7);
    assert.deepEqual(byEventId(decisionSink.events), byEventId(reference.events));
    const child = decisionSink.events.find((e) => e.decision_id === made.child)!;
    assert.equal(child.parent_decision_id, made.id);
    assert.deepEqual(exporter.stats.spans, { queued: 0, dropped: 0, exportedSpans: 7, failedSpans: 0, retries: 0 });
    await provider.shutdown();
  });

  test('a hung span exporter does not delay decisions', async () => {
    const spanExporter = new ScriptedSpanExporter('hang');
    const decisionSink = new InMemoryDecisionSink();
    const exporter = dual({ spanExporter, decisionSink, spans: { exportTimeoutMillis: 60_000 } });
    const started = Date.now();
    exportNow(exporter, finishedRefundSpans('span-side-hangs'));
    assert.ok(await until(() => decisionSink.events.length === 5, 2_000), 'decisions delivered');
    assert.ok(Date.now() - started < 1_000, `decisions took ${Date.now() - started} ms`);
    assert.equal(spanExporter.calls, 1, 'the span exporter is still busy with the first batch');
    assert.equal(exporter.stats.spans.exportedSpans, 0);
  });

  test('a hung decision sink does not delay spans', async () => {
    const spanExporter = new ScriptedSpanExporter('ok');
    const exporter = dual({ spanExporter, decisionSink: hangingSink, decisions: { exportTimeoutMillis: 60_000 } });
    const started = Date.now();
    for (let i = 0; i < 3; i++) exportNow(exporter, finishedRefundSpans(`decision-side-hangs-${i}`));
    assert.ok(await until(() => spanExporter.delivered.length === 15, 2_000), 'spans delivered');
    assert.ok(Date.now() - started < 1_000, `spans took ${Date.now() - started} ms`);
    assert.equal(exporter.stats.decisions.exportedEvents, 0, 'the sink never answered');
  });

  test('retryable failures (HTTP 503, gRPC UNAVAILABLE, network errors) are retried; permanent ones are not', async () => {
    const retried = new ScriptedSpanExporter({ fail: statusError(503) }, { fail: statusError(14) }, { fail: new Error('ECONNRESET') }, 'ok');
    const retrying = dual({ spanExporter: retried, decisionSink: new InMemoryDecisionSink() });
    exportNow(retrying, finishedRefundSpans('retry'));
    await retrying.forceFlush();
    assert.equal(retried.calls, 4);
    assert.equal(retried.delivered.length, 5);
    assert.deepEqual(retrying.stats.spans, { queued: 0, dropped: 0, exportedSpans: 5, failedSpans: 0, retries: 3 });

    for (const permanent of [statusError(400), statusError(3)]) {
      const refused = new ScriptedSpanExporter({ fail: permanent });
      const refusing = dual({ spanExporter: refused, decisionSink: new InMemoryDecisionSink() });
      exportNow(refusing, finishedRefundSpans('permanent'));
      await refusing.forceFlush();
      assert.equal(refused.calls, 1, `${permanent.message} is not retried`);
      assert.deepEqual(refusing.stats.spans, { queued: 0, dropped: 0, exportedSpans: 0, failedSpans: 5, retries: 0 });
    }
  });

  test('a full span queue fails the export with the count of dropped spans; the batch’s decisions still go', async () => {
    const spanExporter = new ScriptedSpanExporter('hang');
    const decisionSink = new InMemoryDecisionSink();
    const exporter = dual({ spanExporter, decisionSink, spans: { maxQueueSize: 4, maxExportBatchSize: 4 } });
    const { result } = exportNow(exporter, finishedRefundSpans('full'));
    assert.equal(result?.code, 1);
    assert.match(String(result?.error?.message), /1 of 5 spans dropped/);
    assert.equal(exporter.stats.spans.dropped, 1);
    assert.ok(await until(() => decisionSink.events.length === 5, 2_000));
  });

  test('forceFlush() and shutdown() deliver both sides, then shut both destinations down', async () => {
    const spanExporter = new ScriptedSpanExporter({ delayMillis: 30 });
    const decisionSink = new SlowSink(30);
    const exporter = dual({ spanExporter, decisionSink, decisions: { scheduledDelayMillis: 60_000 } });
    exportNow(exporter, finishedRefundSpans('flush-1'));
    await exporter.forceFlush();
    assert.equal(spanExporter.delivered.length, 5);
    assert.equal(decisionSink.events.length, 5, 'flushed although the batch delay is a minute');

    exportNow(exporter, finishedRefundSpans('flush-2'));
    await exporter.shutdown();
    assert.equal(spanExporter.delivered.length, 10);
    assert.equal(decisionSink.events.length, 10);
    assert.equal(spanExporter.shutdownCalls, 1);
    assert.equal(decisionSink.shutdownCalls, 1);
    const { result } = exportNow(exporter, finishedRefundSpans('late'));
    assert.equal(result?.code, 1, 'an export after shutdown fails');
  });

  test('decisions of traces the head sampler dropped reach the sink, not the span exporter', async () => {
    installContextManager();
    const spanExporter = new ScriptedSpanExporter('ok');
    const decisionSink = new InMemoryDecisionSink();
    const exporter = dual({ spanExporter, decisionSink });
    const provider = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 5 })],
    });
    const dt = new DecisionTrace({ tracerProvider: provider, unsampledRecorders: [exporter] });
    const id = await dt.decision({ type: 'refund.approve.v2', tenant: 'acme' }, (d) => (d.outcome('denied'), d.id));
    await provider.shutdown();
    assert.equal(spanExporter.delivered.length, 0, 'the trace stays dropped');
    const events = decisionSink.events.filter((e) => e.decision_id === id);
    assert.ok(events.length > 0);
    assert.ok(events.some((e) => (e.payload as { outcome?: unknown }).outcome === 'denied'));
  });
});
