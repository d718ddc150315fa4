import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionEvent } from '@decision-trace/model';
import { makeResourceSpans, makeSpan } from '@decision-trace/model/testing';
import type { MutableTraceBatch, MutatingTracesConsumer, TraceBatch, TracesConsumer } from '../src/component/component.js';
import { fanoutToPipelines } from '../src/pipeline/fanout.js';

function recorder(onBatch: (batch: TraceBatch) => void = () => {}): TracesConsumer & { batches: TraceBatch[] } {
  const batches: TraceBatch[] = [];
  return {
    batches,
    async consumeTraces(batch) {
      batches.push(batch);
      onBatch(batch);
    },
  };
}

/** A consumer that changes what it is handed in place (its type says so: it takes a MutableTraceBatch). */
function mutatingRecorder(onBatch: (batch: MutableTraceBatch) => void): MutatingTracesConsumer & { batches: MutableTraceBatch[] } {
  const batches: MutableTraceBatch[] = [];
  return {
    batches,
    async consumeTraces(batch) {
      batches.push(batch);
      onBatch(batch);
    },
  };
}

function batchWithOneSpan(): MutableTraceBatch {
  const span = makeSpan({ attributes: { 'decision.type': 'refund.approve', amount: 9_007_199_254_740_993n, blob: new Uint8Array([1, 2, 3]) } });
  const decision = { decision_id: 'd-1', event_type: 'decision.start' } as DecisionEvent;
  return { resourceSpans: [makeResourceSpans([span])], spanCount: 1, decisions: [decision], tenant: 'acme' };
}

test('pipelines whose processors copy on write share the span objects, each with a batch of its own', async () => {
  const adding = recorder((batch) => batch.decisions.push({ decision_id: 'added-here' } as DecisionEvent));
  const reading = recorder();
  const batch = batchWithOneSpan();
  await fanoutToPipelines([
    { consumer: adding, mutatesData: false },
    { consumer: reading, mutatesData: false },
  ]).consumeTraces(batch);

  const [a] = adding.batches;
  const [b] = reading.batches;
  assert.notEqual(a, b);
  assert.equal(a!.resourceSpans[0], batch.resourceSpans[0], 'no copy of the spans for a pipeline that does not mutate');
  assert.equal(b!.resourceSpans[0], batch.resourceSpans[0]);
  assert.deepEqual(
    b!.decisions.map((d) => d.decision_id),
    ['d-1'],
    "one pipeline's added decision stays in that pipeline",
  );
  assert.deepEqual(
    batch.decisions.map((d) => d.decision_id),
    ['d-1'],
  );
  assert.equal(b!.tenant, 'acme');
});

test('a pipeline with a processor that mutates gets its own deep copy: its changes reach no other pipeline', async () => {
  const mutating = mutatingRecorder((batch) => {
    const span = batch.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    span.attributes['decision.type'] = 'changed in place';
    span.name = 'renamed';
    batch.decisions[0]!.decision_id = 'changed';
  });
  const reading = recorder();
  const batch = batchWithOneSpan();
  // The mutating pipeline first: the reading one is handed its batch after the change was made.
  await fanoutToPipelines([
    { consumer: mutating, mutatesData: true },
    { consumer: reading, mutatesData: false },
  ]).consumeTraces(batch);

  const seen = reading.batches[0]!.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(seen.attributes['decision.type'], 'refund.approve');
  assert.notEqual(seen.name, 'renamed');
  assert.equal(reading.batches[0]!.decisions[0]!.decision_id, 'd-1');
  assert.equal(batch.decisions[0]!.decision_id, 'd-1');

  const copied = mutating.batches[0]!.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.notEqual(copied, seen);
  assert.equal(copied.attributes.amount, 9_007_199_254_740_993n, 'bigint values are copied exactly');
  assert.deepEqual(copied.attributes.blob, new Uint8Array([1, 2, 3]));
  assert.equal(mutating.batches[0]!.spanCount, 1);
  assert.equal(mutating.batches[0]!.tenant, 'acme');
});

test('one pipeline is handed the batch as it came, mutating or not (nobody else sees it)', async () => {
  const only = recorder();
  const batch = batchWithOneSpan();
  await fanoutToPipelines([{ consumer: only, mutatesData: true }]).consumeTraces(batch);
  assert.equal(only.batches[0], batch);
});
