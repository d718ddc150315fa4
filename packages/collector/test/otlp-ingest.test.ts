import { makeSpan } from '@decision-trace/model/testing';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ReadonlyResourceSpans, ResourceSpans } from '@decision-trace/model';
import type { DecodedTraceRequest } from '@decision-trace/otlp';
import type { TraceBatch } from '../src/component/component.js';
import { ingest } from '../src/receivers/otlp/ingest.js';
import { MetricsRegistry } from '../src/telemetry/metrics-registry.js';
import { countingReceiverConsumer } from '../src/telemetry/receiver-metrics.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function decodedRequest(spanCount: number): DecodedTraceRequest {
  const spans = Array.from({ length: spanCount }, (_, i) =>
    makeSpan({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: `b7ad6b71692033${String(i).padStart(2, '0')}`,
      name: `span ${i}`,
      kind: 2,
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      endTimeUnixNano: 1_700_000_000_500_000_000n,
      attributes: { 'http.route': '/orders/{id}' },
    }),
  );
  const scope = { name: 'orders-scope', version: '', attributes: {}, droppedAttributesCount: 0 };
  const resourceSpans: ResourceSpans[] = [
    {
      resource: { attributes: { 'service.name': 'orders' }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope, spans, schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
  return { resourceSpans, rejectedSpans: 0, errorMessage: '' };
}

test('while the pipeline works on a request, neither the receiver nor its metrics keep the decoded spans alive', async () => {
  const registry = new MetricsRegistry();
  let spansSeen: WeakRef<readonly ReadonlyResourceSpans[]> | undefined;
  let finish!: () => void;
  // The end of the pipeline: like an exporter waiting for its store, it keeps nothing of the batch.
  const waitingExporter = {
    consumeTraces(batch: TraceBatch) {
      spansSeen = new WeakRef(batch.resourceSpans);
      return new Promise<void>((resolve) => (finish = resolve));
    },
  };
  const decoded = decodedRequest(3);
  const done = ingest(countingReceiverConsumer('otlp', waitingExporter, registry), decoded, 'acme');

  assert.deepEqual(decoded.resourceSpans, [], 'the receiver keeps the answer, not the spans');
  await new Promise(setImmediate);
  collectGarbage();
  assert.equal(spansSeen?.deref(), undefined, 'the spans were collected while the request waited');

  finish();
  assert.equal(await done, 3);
  assert.match(registry.render(), /otelcol_receiver_accepted_spans_total\{receiver="otlp"\} 3/);
});

test('a pipeline that refuses a request, at once or later, fails ingest and counts the spans refused', async () => {
  const registry = new MetricsRegistry();
  const refusedAtOnce = {
    consumeTraces(): Promise<void> {
      throw new Error('full');
    },
  };
  await assert.rejects(ingest(countingReceiverConsumer('a', refusedAtOnce, registry), decodedRequest(2)), /full/);
  const refusedLater = { consumeTraces: () => Promise.reject(new Error('store down')) };
  await assert.rejects(ingest(countingReceiverConsumer('b', refusedLater, registry), decodedRequest(4)), /store down/);
  const text = registry.render();
  assert.match(text, /otelcol_receiver_refused_spans_total\{receiver="a"\} 2/);
  assert.match(text, /otelcol_receiver_refused_spans_total\{receiver="b"\} 4/);
  const empty = { resourceSpans: [], rejectedSpans: 0, errorMessage: '' };
  assert.equal(await ingest(countingReceiverConsumer('c', refusedAtOnce, registry), empty), 0, 'an empty request never reaches the pipeline');
});
