import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { defaultComponents, type Host, type ProcessorComponent, type TraceBatch, type TracesConsumer } from '@decision-trace/collector';
import { REDACTIONS_ATTRIBUTE } from '@decision-trace/model';
import { decisionSpan, resourceSpansOf } from './helpers/otlp-requests.js';

function processor(type: string, config: unknown, next: TracesConsumer): ProcessorComponent {
  const factory = defaultComponents().get('processor', type)!;
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
  assert.equal(received.attributes[REDACTIONS_ATTRIBUTE], undefined);
});

test('a redaction config with hash and no key does not parse (the collector refuses to start)', () => {
  const factory = defaultComponents().get('processor', 'redaction')!;
  const parsed = factory.configSchema.safeParse({ rules: [{ key: 'user.id', action: 'hash' }] });
  assert.equal(parsed.success, false);
});
