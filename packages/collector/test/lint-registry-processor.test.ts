import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { defaultComponents, isMutatingProcessor, type Host, type ProcessorComponent, type TraceBatch } from '@decision-trace/collector';
import type { Attributes, ReadonlyDecisionEvent, ResourceSpans } from '@decision-trace/model';
import { decisionSpan, resourceSpansOf } from '../../../test/helpers/otlp-requests.js';

const REGISTRY = `
decision_types:
  refund.approve:
    actor_type: agent
    key_evidence: [amount]
    outcomes: [approved, denied]
    versions:
      v2: {}
`;

function registryFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'dt-registry-')), 'decision-registry.yaml');
  writeFileSync(file, text);
  return file;
}

function decisionProcessor(config: unknown): { processor: ProcessorComponent; received: ReadonlyDecisionEvent[] } {
  const factory = defaultComponents().get('processor', 'decision')!;
  assert.ok(!isMutatingProcessor(factory), 'our processors only read the spans they are handed');
  const received: ReadonlyDecisionEvent[] = [];
  const processor = factory.create(
    { id: 'decision', config: factory.configSchema.parse(config), logger: pino({ level: 'silent' }), host: {} as Host },
    { consumeTraces: async (batch) => void received.push(...batch.decisions) },
  );
  return { processor, received };
}

function batch(...attributeSets: Attributes[]): TraceBatch {
  const resourceSpans: ResourceSpans[] = resourceSpansOf(attributeSets.map((attributes) => decisionSpan({ attributes })));
  return { resourceSpans, spanCount: attributeSets.length, decisions: [] };
}

const good: Attributes = { 'decision.actor.type': 'agent', 'decision.evidence.amount': 5, 'decision.outcome': 'approved' };

test('with a registry, each decision event carries the violations it shows; good ones carry none', async () => {
  const { processor, received } = decisionProcessor({ registry: registryFile(REGISTRY) });
  await processor.start();
  await processor.consumeTraces(batch(good, { 'decision.actor.type': 'human', 'decision.outcome': 'maybe' }, { 'decision.type': 'loan.approve' }));
  assert.equal(received.length, 3);
  assert.equal(received[0]!.violations, undefined);
  assert.deepEqual(received[1]!.violations, [
    { rule: 'actor_type', detail: 'actor type human is not agent' },
    { rule: 'key_evidence', detail: 'missing evidence amount' },
    { rule: 'outcome', detail: 'outcome maybe is not one of approved, denied' },
  ]);
  assert.deepEqual(received[2]!.violations, [{ rule: 'unknown_type', detail: 'decision type loan.approve is not in the registry' }]);
});

test('unknown_types: allow keeps unknown types without a violation; reject does not keep them', async () => {
  const allow = decisionProcessor({ registry: registryFile(REGISTRY), unknown_types: 'allow' });
  await allow.processor.start();
  await allow.processor.consumeTraces(batch({ 'decision.type': 'loan.approve' }));
  assert.equal(allow.received.length, 1);
  assert.equal(allow.received[0]!.violations, undefined);

  const reject = decisionProcessor({ registry: registryFile(REGISTRY), unknown_types: 'reject' });
  await reject.processor.start();
  const input = batch(good, { 'decision.type': 'loan.approve' });
  await reject.processor.consumeTraces(input);
  assert.deepEqual(
    reject.received.map((e) => e.decision_type),
    ['refund.approve.v2'],
  );
  assert.equal(input.resourceSpans[0]!.scopeSpans[0]!.spans.length, 2, 'the spans still flow on');
});

test('without a registry nothing is checked', async () => {
  const { processor, received } = decisionProcessor({});
  await processor.start();
  await processor.consumeTraces(batch({ 'decision.type': 'anything', 'decision.outcome': 'whatever' }));
  assert.equal(received[0]!.violations, undefined);
});

test('a registry that cannot be used fails the start, naming the config key and the path in the file', async () => {
  const missing = decisionProcessor({ registry: '/nonexistent/decision-registry.yaml' });
  await assert.rejects(
    missing.processor.start(),
    /^Error: processors\.decision\.registry: decision registry \/nonexistent\/decision-registry\.yaml:\n  - cannot read the file: ENOENT/,
  );

  const invalid = decisionProcessor({
    registry: registryFile('decision_types:\n  refund.approve:\n    outcomes: approved\n    key_evidense: [amount]\n'),
  });
  await assert.rejects(invalid.processor.start(), (error: Error) => {
    assert.match(error.message, /- decision_types\.refund\.approve\.outcomes: /);
    assert.match(error.message, /- decision_types\.refund\.approve\.key_evidense: unknown key/);
    return true;
  });

  const syntax = decisionProcessor({ registry: registryFile('decision_types: [unclosed\n') });
  await assert.rejects(syntax.processor.start(), /YAML syntax error/);
});
