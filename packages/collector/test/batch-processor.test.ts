import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ReadonlyResourceSpans, ResourceSpans, Span } from '@decision-trace/model';
import { makeSpan } from '@decision-trace/model/testing';
import { PipelineError, offlineHost } from '@decision-trace/collector';
import type { TraceBatch, TracesConsumer } from '../src/component/component.js';
import { Batcher, type Timers } from '../src/processors/batch/batcher.js';
import { batchProcessorSchema } from '../src/processors/batch/config.js';
import { batchProcessorFactory } from '../src/processors/batch/factory.js';
import { partitionByDecision, takeSpans } from '../src/processors/batch/split-spans.js';

let serial = 0;
function span(attributes: Record<string, string> = {}, events: Span['events'] = []): Span {
  serial += 1;
  return makeSpan({
    traceId: 'a'.repeat(32),
    spanId: serial.toString(16).padStart(16, '0'),
    flags: 0,
    name: `s${serial}`,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes,
    events,
  });
}

function resource(service: string, ...scopes: Span[][]): ResourceSpans {
  return {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeSpans: scopes.map((spans, i) => ({ scope: { name: `scope-${i}`, version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' })),
    schemaUrl: '',
  };
}

const names = (rs: readonly ReadonlyResourceSpans[]) =>
  rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => `${r.resource.attributes['service.name']}/${s.scope.name}/${x.name}`)));
const decisionSpan = () => span({ 'decision.type': 'refund.approve' });

describe('span splitting', () => {
  test('decision-carrying spans (decision.*, dt.*, a `decision` event) are told apart from context spans', () => {
    const eventDecision = span({}, [{ timeUnixNano: 1n, name: 'decision', attributes: { 'decision.type': 'x' }, droppedAttributesCount: 0 }]);
    const input = [resource('a', [span(), decisionSpan(), span({ 'dt.decision_id': 'd1' })]), resource('b', [eventDecision], [span()])];
    const parts = partitionByDecision(input);
    assert.equal(parts.decisionCount, 3);
    assert.equal(parts.contextCount, 2);
    assert.deepEqual(
      names(parts.decision).map((n) => n.split('/').slice(0, 2).join('/')),
      ['a/scope-0', 'a/scope-0', 'b/scope-0'],
    );
    assert.deepEqual(
      names(parts.context).map((n) => n.split('/').slice(0, 2).join('/')),
      ['a/scope-0', 'b/scope-1'],
    );
    const onlyContext = [resource('c', [span()])];
    assert.equal(partitionByDecision(onlyContext).context, onlyContext, 'no copy when nothing is split');
  });

  test('takeSpans cuts at a span boundary, inside a scope if need be, keeping order', () => {
    const input = [resource('a', [span(), span()], [span()]), resource('b', [span(), span()])];
    const all = names(input);
    for (let limit = 0; limit <= 5; limit++) {
      const slice = takeSpans(input, 5, limit);
      assert.equal(slice.headCount, limit);
      assert.equal(slice.tailCount, 5 - limit);
      assert.deepEqual([...names(slice.head), ...names(slice.tail)], all);
      assert.equal(names(slice.head).length, limit);
    }
  });
});

/** Timers run by hand. */
function manualTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let nextId = 0;
  const pending = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    set(callback, ms) {
      pending.set(++nextId, { at: now + ms, callback });
      return nextId;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
    advance(ms) {
      now += ms;
      for (const [id, timer] of [...pending]) {
        if (timer.at <= now) {
          pending.delete(id);
          timer.callback();
        }
      }
    },
  };
}

function recorder(behaviour: (batch: TraceBatch) => Promise<void> = async () => {}): TracesConsumer & { batches: TraceBatch[] } {
  const batches: TraceBatch[] = [];
  return {
    batches,
    async consumeTraces(batch) {
      await behaviour(batch);
      batches.push(batch);
    },
  };
}

const flushMicrotasks = () => new Promise((r) => setImmediate(r));

describe('batcher', () => {
  const config = batchProcessorSchema.parse({ send_batch_size: 4, send_batch_max_size: 6, timeout: '1s' });

  test('sends when send_batch_size spans are there, in batches of at most send_batch_max_size', async () => {
    const next = recorder();
    const batcher = new Batcher(config, next, {}, manualTimers());
    batcher.add(undefined, [resource('a', [span(), span(), span()])], 3);
    await flushMicrotasks();
    assert.equal(next.batches.length, 0);
    batcher.add(undefined, [resource('a', [span(), span(), span(), span(), span(), span(), span()])], 7);
    await flushMicrotasks();
    assert.deepEqual(
      next.batches.map((b) => b.spanCount),
      [6, 4],
    );
    assert.equal(batcher.pendingSpans, 0);
  });

  test('sends what it has once the timeout passed since the first span', async () => {
    const next = recorder();
    const timers = manualTimers();
    const flushed: string[] = [];
    const batcher = new Batcher(config, next, { flushed: (trigger) => flushed.push(trigger) }, timers);
    batcher.add(undefined, [resource('a', [span()])], 1);
    timers.advance(500);
    batcher.add(undefined, [resource('a', [span()])], 1);
    timers.advance(499);
    await flushMicrotasks();
    assert.equal(next.batches.length, 0);
    timers.advance(1);
    await flushMicrotasks();
    assert.deepEqual(
      next.batches.map((b) => b.spanCount),
      [2],
    );
    assert.deepEqual(flushed, ['timeout']);
  });

  test('tenants are batched apart', async () => {
    const next = recorder();
    const timers = manualTimers();
    const batcher = new Batcher(config, next, {}, timers);
    batcher.add('acme', [resource('a', [span()])], 1);
    batcher.add('globex', [resource('b', [span()])], 1);
    timers.advance(1000);
    await flushMicrotasks();
    assert.deepEqual(next.batches.map((b) => [b.tenant, b.spanCount]).sort(), [
      ['acme', 1],
      ['globex', 1],
    ]);
  });

  test('a retryable refusal keeps the batch, refuses new spans until the wait is over, then sends again', async () => {
    let refusing = true;
    const next = recorder(async () => {
      if (refusing) throw new PipelineError('queue full', { retryable: true, retryAfterSeconds: 2 });
    });
    const timers = manualTimers();
    const batcher = new Batcher(config, next, {}, timers);
    batcher.add(undefined, [resource('a', [span(), span(), span(), span()])], 4);
    await flushMicrotasks();
    assert.equal(batcher.pendingSpans, 4, 'kept, not dropped');
    assert.throws(
      () => batcher.add(undefined, [resource('a', [span()])], 1),
      (e: unknown) => e instanceof PipelineError && e.retryable && e.retryAfterSeconds === 2,
    );
    refusing = false;
    timers.advance(2000);
    await flushMicrotasks();
    assert.deepEqual(
      next.batches.map((b) => b.spanCount),
      [4],
    );
    batcher.add(undefined, [resource('a', [span()])], 1);
    assert.equal(batcher.pendingSpans, 1, 'accepting again');
  });

  test('a permanent refusal drops the batch (counted); close flushes, and drops what is still refused at the deadline', async () => {
    const dropped: number[] = [];
    const next = recorder(async () => {
      throw new PipelineError('bad', { retryable: false });
    });
    const batcher = new Batcher(config, next, { dropped: (spans) => dropped.push(spans) }, manualTimers());
    batcher.add(undefined, [resource('a', [span(), span(), span(), span()])], 4);
    await flushMicrotasks();
    assert.deepEqual(dropped, [4]);

    const ok = recorder();
    const flushing = new Batcher(config, ok);
    flushing.add(undefined, [resource('a', [span()])], 1);
    await flushing.close(Date.now() + 1000);
    assert.deepEqual(
      ok.batches.map((b) => b.spanCount),
      [1],
      'shutdown sends the partial batch',
    );

    const stuckDrops: number[] = [];
    const stuck = new Batcher(
      config,
      recorder(async () => {
        throw new PipelineError('full', { retryable: true, retryAfterSeconds: 1 });
      }),
      { dropped: (spans) => stuckDrops.push(spans) },
    );
    stuck.add(undefined, [resource('a', [span(), span()])], 2);
    await stuck.close(Date.now() + 50);
    assert.deepEqual(stuckDrops, [2]);
  });
});

describe('batch processor', () => {
  const settings = (config: unknown) => ({
    id: 'batch (traces)',
    pipeline: 'traces',
    config: batchProcessorSchema.parse(config),
    logger: pino({ level: 'silent' }),
    host: offlineHost(),
  });

  test('decision data passes straight on before the caller is acknowledged; context spans wait for the batch', async () => {
    const seen: TraceBatch[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const next: TracesConsumer = {
      async consumeTraces(batch) {
        seen.push(batch);
        if (batch.decisions.length > 0) await gate;
      },
    };
    const s = settings({ send_batch_size: 100, timeout: '50ms' });
    const processor = batchProcessorFactory.create(s, next);
    const decision = decisionSpan();
    const context = span();
    const incoming: TraceBatch = {
      resourceSpans: [resource('svc', [context, decision])],
      spanCount: 2,
      decisions: [{ event_id: 'e1' } as never],
      tenant: 'acme',
    };
    let acknowledged = false;
    const consumed = processor.consumeTraces(incoming).then(() => (acknowledged = true));
    await flushMicrotasks();
    assert.equal(seen.length, 1, 'the decision part went on at once');
    assert.deepEqual(seen[0].decisions, incoming.decisions);
    assert.deepEqual(names(seen[0].resourceSpans), [`svc/scope-0/${decision.name}`]);
    assert.equal(seen[0].tenant, 'acme');
    assert.equal(acknowledged, false, 'not acknowledged before the decisions are delivered');
    release();
    await consumed;
    assert.equal(seen.length, 1, 'the context span waits for the batch');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(seen.length, 2);
    assert.deepEqual(names(seen[1].resourceSpans), [`svc/scope-0/${context.name}`]);
    assert.deepEqual(seen[1].decisions, []);
    assert.equal(s.host.metrics.valueOf('otelcol_processor_batch_passed_through_spans_total', { processor: 'batch', pipeline: 'traces' }), 1);
    assert.equal(s.host.metrics.valueOf('otelcol_processor_batch_timeout_trigger_send_total', { processor: 'batch', pipeline: 'traces' }), 1);
    await processor.shutdown({ deadline: Date.now() });
  });

  test('where every exporter acknowledges from memory, decision data is batched with the rest and the caller acknowledged at once', async () => {
    const seen: TraceBatch[] = [];
    const next: TracesConsumer = {
      async consumeTraces(batch) {
        seen.push(batch);
      },
    };
    const s = { ...settings({ send_batch_size: 6, send_batch_max_size: 6, timeout: '50ms' }), exportersAcknowledgeFromMemory: true };
    const processor = batchProcessorFactory.create(s, next);
    const requests = [0, 1, 2].map((i) => ({
      resourceSpans: [resource(`svc${i}`, [span(), decisionSpan(), span()])],
      spanCount: 3,
      decisions: [{ event_id: `e${i}` } as never],
      tenant: 'acme',
    }));
    for (const request of requests) await processor.consumeTraces(request);
    await flushMicrotasks();
    // Six spans reached send_batch_size: the first two requests went as one batch, with their decision events; the third waits.
    assert.equal(seen.length, 1);
    assert.deepEqual(names(seen[0].resourceSpans), [...names(requests[0].resourceSpans), ...names(requests[1].resourceSpans)]);
    assert.equal(seen[0].resourceSpans[0], requests[0].resourceSpans[0], 'the received resources themselves, so their bytes are forwarded');
    assert.equal(seen[0].spanCount, 6);
    assert.deepEqual(seen[0].decisions, [...requests[0].decisions, ...requests[1].decisions]);
    assert.equal(seen[0].tenant, 'acme');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(seen.length, 2, 'the rest after the timeout');
    assert.deepEqual(names(seen[1].resourceSpans), names(requests[2].resourceSpans));
    assert.deepEqual(seen[1].decisions, requests[2].decisions);
    const labels = { processor: 'batch', pipeline: 'traces' };
    assert.equal(s.host.metrics.valueOf('otelcol_processor_batch_passed_through_spans_total', labels) ?? 0, 0);
    assert.equal(s.host.metrics.valueOf('otelcol_processor_batch_batch_size_trigger_send_total', labels), 1);
    await processor.shutdown({ deadline: Date.now() });
  });

  test("config: the Collector's defaults and rules", () => {
    assert.deepEqual(batchProcessorSchema.parse({}), { send_batch_size: 8192, send_batch_max_size: 0, timeout: 200 });
    assert.ok(!batchProcessorSchema.safeParse({ send_batch_size: 100, send_batch_max_size: 50 }).success);
    assert.ok(!batchProcessorSchema.safeParse({ timeout: 0 }).success);
  });
});
