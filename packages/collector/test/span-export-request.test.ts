import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceSpans } from '@decision-trace/model';
import { makeSpan } from '@decision-trace/model/testing';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { TraceBatch } from '../src/component/component.js';
import { DEFAULT_SENDING_QUEUE } from '../src/exporter-helper/config.js';
import { spanRequestEncoder } from '../src/exporter-helper/span-export-request.js';

function batchOf(attributes: Record<string, string>): TraceBatch {
  const resourceSpans: ResourceSpans[] = [
    {
      resource: { attributes: { 'service.name': 'checkout' }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 's', version: '1', attributes: {}, droppedAttributesCount: 0 }, spans: [makeSpan({ attributes })], schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
  return { resourceSpans, spanCount: 1, decisions: [] };
}

const encodeBody = (batch: TraceBatch) => encodeTraceRequestProtobuf(batch.resourceSpans);

// The otlp, otlphttp and load_balancing exporters' requests: what the queue may drop for room depends on carriesDecisions.
test('spanRequestEncoder: a decision span counts as decision data only where context may be dropped; no spans, no request', () => {
  const decisionSpan = batchOf({ 'decision.type': 'refund.approve.v2' });
  const contextSpan = batchOf({ 'http.route': '/checkout' });
  const dropping = spanRequestEncoder({ ...DEFAULT_SENDING_QUEUE, drop_context_on_overflow: true }, encodeBody);
  const keeping = spanRequestEncoder(DEFAULT_SENDING_QUEUE, encodeBody);

  const request = dropping(decisionSpan);
  assert.deepEqual(request, { body: encodeBody(decisionSpan), items: 1, carriesDecisions: true });
  assert.equal(dropping(contextSpan)?.carriesDecisions, false);
  // Without drop_context_on_overflow nothing is dropped, so the spans are not looked into: the batch's decision events say it.
  assert.equal(keeping(decisionSpan)?.carriesDecisions, false);
  assert.equal(keeping({ ...contextSpan, decisions: [{} as never] })?.carriesDecisions, true);
  assert.equal(dropping({ resourceSpans: [], spanCount: 0, decisions: [{} as never] }), undefined);
});
