import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { defaultComponents, isMutatingProcessor, type Host, type ProcessorComponent, type TraceBatch, type TracesConsumer } from '@decision-trace/collector';
import { ATTR_DT_REDACTIONS } from '@decision-trace/model';
import { decisionSpan, resourceSpansOf } from '../../../test/helpers/otlp-requests.js';

function processor(type: string, config: unknown, next: TracesConsumer): ProcessorComponent {
  const factory = defaultComponents().get('processor', type)!;
  assert.ok(!isMutatingProcessor(factory), 'our processors only read the spans they are handed');
  return factory.create({ id: type, config: factory.configSchema.parse(config), logger: pino({ level: 'silent' }), host: {} as Host }, next);
}

function capture(): TracesConsumer & { batches: TraceBatch[] } {
  const batches: TraceBatch[] = [];
  return { batches, consumeTraces: async (batch) => void batches.push(batch) };
}

function inputBatch(): TraceBatch {
  const span = decisionSpan({
    decisionId: 'd-1',
    attributes: { 'decision.evidence.email': 'jane@example.com', 'decision.evidence.api_key': 'sk-1', 'http.method': 'POST' },
  });
  return { resourceSpans: resourceSpansOf([span]), spanCount: 1, decisions: [] };
}

const redactionConfig = { rules: [{ key: 'email', action: 'derive', derive: 'email_domain' }] };

test('redaction after decision redacts the decision events already on the batch, and the spans', async () => {
  const sink = capture();
  const decision = processor('decision', {}, processor('redaction', redactionConfig, sink));
  await decision.consumeTraces(inputBatch());
  const [batch] = sink.batches;
  assert.equal(batch!.decisions.length, 1);
  const event = batch!.decisions[0]!;
  assert.deepEqual(event.payload.evidence, { email_domain: 'example.com', api_key: '***' });
  assert.deepEqual(event.redactions, [
    { field: 'decision.evidence.email', action: 'derive' },
    { field: 'decision.evidence.api_key', action: 'mask' },
  ]);
  const span = batch!.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(span.attributes['decision.evidence.email_domain'], 'example.com');
  assert.equal(span.attributes['decision.evidence.email'], undefined);
  assert.equal(span.attributes['http.method'], 'POST');
});

test('redaction before decision: the events are built from redacted spans and list the redactions', async () => {
  const sink = capture();
  const redaction = processor('redaction', redactionConfig, processor('decision', {}, sink));
  const input = inputBatch();
  const original = input.resourceSpans;
  await redaction.consumeTraces(input);
  const event = sink.batches[0]!.decisions[0]!;
  assert.deepEqual(event.payload.evidence, { email_domain: 'example.com', api_key: '***' });
  assert.deepEqual(event.redactions, [
    { field: 'decision.evidence.email', action: 'derive' },
    { field: 'decision.evidence.api_key', action: 'mask' },
  ]);
  const received = original[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(received.attributes['decision.evidence.email'], 'jane@example.com', 'spans another pipeline may share are not modified');
  assert.equal(received.attributes[ATTR_DT_REDACTIONS], undefined);
});

test('a redaction config with hash and no key does not parse (the collector refuses to start)', () => {
  const factory = defaultComponents().get('processor', 'redaction')!;
  const parsed = factory.configSchema.safeParse({ rules: [{ key: 'user.id', action: 'hash' }] });
  assert.equal(parsed.success, false);
});

function forgedBatch(): TraceBatch {
  const forged = JSON.stringify([{ field: 'decision.evidence.ssn', action: 'mask' }]);
  const span = decisionSpan({ decisionId: 'd-forged', attributes: { [ATTR_DT_REDACTIONS]: forged, 'decision.evidence.api_key': 'sk-1' } });
  const resourceSpans = resourceSpansOf([span]);
  resourceSpans[0]!.resource.attributes[ATTR_DT_REDACTIONS] = forged;
  return { resourceSpans, spanCount: 1, decisions: [] };
}

test('a dt.redactions note sent by the client never reaches a record, whichever processors run (#17)', async () => {
  const alone = capture();
  await processor('decision', {}, alone).consumeTraces(forgedBatch());
  assert.equal(alone.batches[0]!.decisions[0]!.redactions, undefined, 'the decision processor alone believes no arriving note');

  const after = capture();
  await processor('decision', {}, processor('redaction', {}, after)).consumeTraces(forgedBatch());
  assert.deepEqual(after.batches[0]!.decisions[0]!.redactions, [{ field: 'decision.evidence.api_key', action: 'mask' }]);

  const before = capture();
  await processor('redaction', {}, processor('decision', {}, before)).consumeTraces(forgedBatch());
  assert.deepEqual(before.batches[0]!.decisions[0]!.redactions!.map(({ field, action }) => `${field} ${action}`).sort(), [
    'decision.evidence.api_key mask',
    'dt.redactions drop',
    'resource.dt.redactions drop',
  ]);
});

test('the redaction factory offers its rules for posted events', () => {
  const factory = defaultComponents().get('processor', 'redaction')!;
  const redact = factory.postedEventRedaction!(factory.configSchema.parse({ rules: [{ key: 'decision.actor.id', action: 'mask' }] }));
  const event = redact({
    schema_version: '1.0',
    event_id: 'e-1',
    event_type: 'decision.start',
    decision_id: 'd-1',
    decision_type: 'refund.approve',
    parent_decision_id: null,
    trace_id: null,
    span_id: null,
    tenant_id: 'default',
    environment: null,
    timestamp: '2025-03-01T10:00:00.000Z',
    actor: { id: 'customer-8842', type: 'human', version: null, org: null },
    payload: { evidence: { password: 'p' } },
    causal_links: [],
    source: 'api.events',
  });
  assert.equal(event.actor!.id, '***');
  assert.deepEqual(event.payload, { evidence: { password: '***' } });
});
