import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextSpansOf, type DecisionEvent, type ResourceSpans, type Span } from '@decision-trace/model';
import { makeDecisionEvent, makeSpan } from '@decision-trace/model/testing';
import type { TraceBatch } from '../src/component/component.js';
import { ContextSpanWindow } from '../src/exporters/decisions/context-span-window.js';
import { decisionsExporterSchema } from '../src/exporters/decisions/config.js';

const traceA = 'a'.repeat(32);
const traceB = 'b'.repeat(32);
const traceC = 'c'.repeat(32);

function span(traceId: string, spanId: string): Span {
  return makeSpan({
    traceId,
    spanId,
    name: `op ${spanId}`,
    startTimeUnixNano: 1_714_557_600_000_000_000n,
    endTimeUnixNano: 1_714_557_600_100_000_000n,
    attributes: { 'gen_ai.operation.name': 'chat' },
  });
}

function decision(traceId: string, tenant = 'acme'): DecisionEvent {
  return makeDecisionEvent({
    event_id: `e-${traceId}`,
    decision_id: `d-${traceId}`,
    decision_type: 'refund.approve',
    trace_id: traceId,
    span_id: '1'.repeat(16),
    tenant_id: tenant,
    timestamp: '2024-05-01T10:00:00.000Z',
  });
}

function batch(spans: Span[], decisions: DecisionEvent[] = [], tenant?: string): TraceBatch {
  const resourceSpans: ResourceSpans[] = [
    {
      resource: { attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 's', version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
  return { resourceSpans, spanCount: spans.length, decisions, ...(tenant === undefined ? {} : { tenant }) };
}

function windowAt(clock: { now: number }, overrides: Partial<ConstructorParameters<typeof ContextSpanWindow>[0]> = {}) {
  return new ContextSpanWindow({ maxPendingSpans: 100, maxPendingAgeMs: 1000, maxDecisionTraces: 10, now: () => clock.now, ...overrides });
}

/** The selection as the ContextSpans a store keeps of it. */
const selectSpans = (window: ContextSpanWindow, spans: TraceBatch) => contextSpansOf(window.select(spans));

const ids = (spans: { span_id: string }[]) => spans.map((s) => s.span_id).sort();

test('spans that came before their decision are kept once it arrives; later spans directly', () => {
  const clock = { now: 0 };
  const window = windowAt(clock);
  assert.deepEqual(selectSpans(window, batch([span(traceA, 'llm1'), span(traceB, 'other')])), []);
  assert.equal(window.pendingSpans, 2);

  const withDecision = selectSpans(window, batch([span(traceA, 'decision')], [decision(traceA)]));
  assert.deepEqual(ids(withDecision), ['decision', 'llm1']);
  assert.equal(withDecision[0]!.tenant, 'acme', 'the decision’s tenant');
  assert.equal(withDecision.find((s) => s.span_id === 'llm1')!.kind, 'LLM');
  assert.equal(withDecision.find((s) => s.span_id === 'llm1')!.service_name, 'svc');
  assert.equal(window.pendingSpans, 1, 'the other trace still waits');

  assert.deepEqual(ids(selectSpans(window, batch([span(traceA, 'root')]))), ['root'], 'a later span of a decision trace');
});

test('spans of traces without decisions leave the buffer after max age, and are never kept', () => {
  const clock = { now: 0 };
  const window = windowAt(clock);
  selectSpans(window, batch([span(traceB, 'b1')]));
  clock.now = 500;
  selectSpans(window, batch([span(traceC, 'c1')]));
  clock.now = 1200;
  selectSpans(window, batch([]));
  assert.equal(window.pendingSpans, 1, 'traceB expired, traceC (500 ms old) waits');
  assert.deepEqual(selectSpans(window, batch([], [decision(traceB)])), [], 'too late for traceB');
  assert.deepEqual(ids(selectSpans(window, batch([], [decision(traceC)]))), ['c1']);
});

test('the buffer holds at most max_spans: the oldest traces leave first; per trace at most its share', () => {
  const clock = { now: 0 };
  const window = windowAt(clock, { maxPendingSpans: 3, maxPendingSpansPerTrace: 2 });
  selectSpans(window, batch([span(traceA, 'a1'), span(traceA, 'a2'), span(traceA, 'a3')]));
  assert.equal(window.pendingSpans, 2, 'a trace keeps at most 2 spans');
  clock.now = 1;
  selectSpans(window, batch([span(traceB, 'b1'), span(traceB, 'b2')]));
  assert.equal(window.pendingSpans, 2, 'traceA (oldest) made room for traceB');
  assert.deepEqual(selectSpans(window, batch([], [decision(traceA)])), []);
  assert.deepEqual(ids(selectSpans(window, batch([], [decision(traceB)]))), ['b1', 'b2']);
});

test('at most max_traces decision traces are remembered, least recently used forgotten first', () => {
  const clock = { now: 0 };
  const window = windowAt(clock, { maxDecisionTraces: 2 });
  selectSpans(window, batch([], [decision(traceA)]));
  selectSpans(window, batch([], [decision(traceB)]));
  selectSpans(window, batch([], [decision(traceA)])); // A used again: B is now the oldest
  selectSpans(window, batch([], [decision(traceC)]));
  assert.deepEqual(ids(selectSpans(window, batch([span(traceA, 'a'), span(traceB, 'b'), span(traceC, 'c')]))), ['a', 'c']);
  assert.equal(window.pendingSpans, 1, 'traceB is no longer known: its span waits');
});

test('an authenticated tenant owns its spans, and tenants never see each other’s traces', () => {
  const clock = { now: 0 };
  const window = windowAt(clock);
  selectSpans(window, batch([span(traceA, 'x')], [], 'tenant-1'));
  const other = selectSpans(window, batch([span(traceA, 'y')], [decision(traceA, 'claimed')], 'tenant-2'));
  assert.deepEqual(ids(other), ['y']);
  assert.equal(other[0]!.tenant, 'tenant-2', 'the authenticated tenant, not the one the decision claims');
  assert.equal(window.pendingSpans, 1, 'tenant-1’s span of the same trace id still waits');
});

test('config: store_context_spans and the buffer apply to the embedded store only', () => {
  const embedded = decisionsExporterSchema.parse({ store_context_spans: false, context_span_buffer: { max_spans: 5, max_age: '10s' } });
  assert.equal(embedded.store_context_spans, false);
  assert.deepEqual(embedded.context_span_buffer, { max_spans: 5, max_age: 10_000, max_traces: 10_000 });
  const remote = decisionsExporterSchema.safeParse({ endpoint: 'http://backend:8711', store_context_spans: true });
  assert.equal(remote.success, false);
  assert.deepEqual(
    remote.error!.issues.map((i) => i.path),
    [['store_context_spans']],
  );
  assert.equal(decisionsExporterSchema.safeParse({ context_span_buffer: { max_spans: -1 } }).success, false);
  assert.equal(decisionsExporterSchema.safeParse({ context_span_buffer: { unknown: 1 } }).success, false);
});
