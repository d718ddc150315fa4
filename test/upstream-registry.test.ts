import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { defaultComponents, isMutatingProcessor, type Host, type TraceBatch } from '@decision-trace/collector';
import type { Attributes, ReadonlyDecisionEvent } from '@decision-trace/model';
import { loadDecisionRegistry } from '../packages/collector/src/shared/decision-registry-file.js';
import { REPO_ROOT, runCli } from './helpers/collector-process.js';
import { decisionSpan, resourceSpansOf } from './helpers/otlp-requests.js';

/**
 * The registry formats of the upstream Decision Trace project, read unchanged by `lint` and the
 * `decision` processor: its template (contracts/decision-registry.template.yaml) and what its
 * linter.py reads (`decisions: [{type}]`, `actors: [{type}]`).
 */

const UPSTREAM = '/work/.mirror/logicoflife+decision-trace/repo';
const TEMPLATE_FORMAT = join(REPO_ROOT, 'test/fixtures/registries/template-format.yaml');
const LINTER_FORMAT = join(REPO_ROOT, 'test/fixtures/registries/linter-format.yaml');
const dir = mkdtempSync(join(tmpdir(), 'dt-upstream-registry-'));

/** Upstream's own template file as it is, when the mirror is on this machine. */
function upstreamTemplate(): string | null {
  if (!existsSync(UPSTREAM)) return null;
  const file = join(dir, 'decision-registry.template.yaml');
  writeFileSync(file, execFileSync('git', ['-C', UPSTREAM, 'show', 'HEAD:contracts/decision-registry.template.yaml']));
  return file;
}

function sdkEvent(decisionId: string, decisionType: string, eventType: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    tenant_id: 'acme',
    environment: 'prod',
    schema_version: '1.0',
    timestamp: '2026-12-07T03:00:00.000001Z',
    trace_id: '6f1c3f5e-8d3a-4d59-9a0e-0d7c1b2a3e4f',
    decision_id: decisionId,
    parent_decision_id: null,
    event_id: `${decisionId}-${eventType}-${Object.values(payload).join('-')}`,
    event_type: eventType,
    decision_type: decisionType,
    actor: { id: 'x', type: 'agent', version: null, org: null },
    payload,
    causal_links: null,
    ...extra,
  };
}

function jsonl(name: string, events: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return file;
}

test("upstream's template format: every contract field is read", async () => {
  const registry = await loadDecisionRegistry(TEMPLATE_FORMAT);
  assert.deepEqual([...registry.types.keys()], ['REFUND_APPROVE', 'REFUND_NOTIFY']);
  assert.deepEqual(registry.types.get('REFUND_APPROVE')!.contract, {
    description: 'Approve or deny a refund request.',
    actor_type: ['agent'],
    key_evidence: ['order_total'],
    key_policies: ['refund_limit'],
    outcomes: ['APPROVED', 'DENIED'],
    expected_children: ['REFUND_NOTIFY'],
    confidence_required: false,
  });
  assert.deepEqual(registry.types.get('REFUND_NOTIFY')!.contract.outcomes, ['SENT']);
});

test("upstream's own template file, unchanged", async (t) => {
  const file = upstreamTemplate();
  if (file === null) {
    t.skip(`the upstream mirror ${UPSTREAM} is not on this machine; the template-format fixture covers the format`);
    return;
  }
  const registry = await loadDecisionRegistry(file);
  assert.deepEqual([...registry.types.keys()], ['AUTH_SERVICE_LOGIN', 'RISK_ORCHESTRATION', 'PASSKEY_SERVICE_VERIFY']);
  const risk = registry.types.get('RISK_ORCHESTRATION')!.contract;
  assert.deepEqual(risk.expected_children, ['DEVICE_TRUST_CHECK', 'VELOCITY_CHECK', 'FINAL_RISK_DECISION']);
  assert.deepEqual(risk.key_policies, ['risk_entry_policy', 'risk_v1']);
  assert.deepEqual(risk.outcomes, ['ALLOW', 'REVIEW', 'DENY']);
  assert.deepEqual(risk.actor_type, ['system']);
  assert.deepEqual(registry.types.get('PASSKEY_SERVICE_VERIFY')!.contract.key_evidence, []);

  // lint with it: a login that misses its evidence and policy and ends in an undeclared outcome.
  const login = [
    sdkEvent('login-1', 'AUTH_SERVICE_LOGIN', 'decision.start', {}, { actor: { id: 'auth-service', type: 'system' } }),
    sdkEvent('login-1', 'AUTH_SERVICE_LOGIN', 'decision.evidence', { key: 'user_id', value: 'u-1' }, { actor: { id: 'auth-service', type: 'system' } }),
    sdkEvent('login-1', 'AUTH_SERVICE_LOGIN', 'decision.outcome', { status: 'MAYBE' }, { actor: { id: 'auth-service', type: 'system' } }),
  ];
  const result = await runCli(['lint', '--registry', file, '--input', jsonl('login.jsonl', login), '--json']);
  assert.equal(result.code, 1, result.stderr);
  const rules = (JSON.parse(result.stdout) as { failing: Array<{ violations: Array<{ rule: string; detail: string }> }> }).failing
    .flatMap((d) => d.violations.map((v) => v.rule))
    .sort();
  assert.deepEqual(rules, ['expected_children', 'key_evidence', 'key_policies', 'outcome']);
});

test('lint with a template-format registry: SDK events that follow it exit 0, others 1 naming each rule', async () => {
  const following = [
    sdkEvent('r-1', 'REFUND_APPROVE', 'decision.start', {}),
    sdkEvent('r-1', 'REFUND_APPROVE', 'decision.evidence', { key: 'order_total', value: 12 }),
    sdkEvent('r-1', 'REFUND_APPROVE', 'decision.policy_check', { policy: 'refund_limit', result: 'pass' }),
    sdkEvent('r-1', 'REFUND_APPROVE', 'decision.outcome', { status: 'APPROVED' }),
    sdkEvent('n-1', 'REFUND_NOTIFY', 'decision.start', {}, { parent_decision_id: 'r-1', actor: { id: 'notifier', type: 'system' } }),
    sdkEvent('n-1', 'REFUND_NOTIFY', 'decision.outcome', { status: 'SENT' }, { parent_decision_id: 'r-1', actor: { id: 'notifier', type: 'system' } }),
  ];
  const clean = await runCli(['lint', '--registry', TEMPLATE_FORMAT, '--input', jsonl('following.jsonl', following)]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);

  const breaking = [
    sdkEvent('r-2', 'REFUND_APPROVE', 'decision.start', {}, { actor: { id: 'someone', type: 'human' } }),
    sdkEvent('r-2', 'REFUND_APPROVE', 'decision.outcome', { status: 'MAYBE' }, { actor: { id: 'someone', type: 'human' } }),
  ];
  const bad = await runCli(['lint', '--registry', TEMPLATE_FORMAT, '--input', jsonl('breaking.jsonl', breaking), '--json']);
  assert.equal(bad.code, 1, bad.stderr);
  const violations = (JSON.parse(bad.stdout) as { failing: Array<{ violations: Array<{ rule: string }> }> }).failing[0].violations.map((v) => v.rule).sort();
  assert.deepEqual(violations, ['actor_type', 'expected_children', 'key_evidence', 'key_policies', 'outcome']);
});

test("lint with linter.py's format: unknown decision types and actor types are violations, as upstream's linter says", async () => {
  const events = [
    sdkEvent('ok-1', 'valid.decision', 'decision.start', {}, { actor: { id: '1', type: 'system' } }),
    sdkEvent('ok-2', 'loan.application.v1', 'decision.start', {}, { actor: { id: '1', type: 'human' } }),
    sdkEvent('bad-type', 'invalid.decision', 'decision.start', {}, { actor: { id: '1', type: 'system' } }),
    sdkEvent('bad-actor', 'valid.decision', 'decision.start', {}, { actor: { id: '1', type: 'agent' } }),
    sdkEvent('bad-version', 'loan.application.v2', 'decision.start', {}, { actor: { id: '1', type: 'human' } }),
  ];
  const result = await runCli(['lint', '--registry', LINTER_FORMAT, '--input', jsonl('linter.jsonl', events), '--json']);
  assert.equal(result.code, 1, result.stderr);
  const failing = (JSON.parse(result.stdout) as { failing: Array<{ id: string; violations: Array<{ rule: string }> }> }).failing;
  assert.deepEqual(Object.fromEntries(failing.map((d) => [d.id, d.violations.map((v) => v.rule)])), {
    'bad-type': ['unknown_type'],
    'bad-actor': ['actor_type'],
    'bad-version': ['unknown_version'],
  });
});

test('a registry in upstream format with a problem names its path; one with both formats is ours and says so', async () => {
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'decisions:\n  - description: no type\n  - decision_type: X\n    outcomes: APPROVED\n');
  const result = await runCli(['lint', '--registry', broken, '--input', jsonl('none.jsonl', [sdkEvent('a', 'X', 'decision.start', {})])]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /decisions\[1\]\.outcomes: must be a list of strings/);
  const mixed = join(dir, 'mixed.yaml');
  writeFileSync(mixed, 'decision_types: {}\ndecisions: []\n');
  const both = await runCli(['lint', '--registry', mixed, '--input', jsonl('none2.jsonl', [sdkEvent('a', 'X', 'decision.start', {})])]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /decisions: unknown key/);
});

test('the decision processor takes a template-format registry and annotates decisions with its rules', async () => {
  const factory = defaultComponents().get('processor', 'decision')!;
  assert.ok(!isMutatingProcessor(factory), 'our processors only read the spans they are handed');
  const received: ReadonlyDecisionEvent[] = [];
  const processor = factory.create(
    { id: 'decision', config: factory.configSchema.parse({ registry: TEMPLATE_FORMAT }), logger: pino({ level: 'silent' }), host: {} as Host },
    { consumeTraces: async (batch) => void received.push(...batch.decisions) },
  );
  await processor.start();
  const good: Attributes = {
    'decision.type': 'REFUND_APPROVE',
    'decision.actor.type': 'agent',
    'decision.evidence.order_total': 12,
    'decision.policy.refund_limit': 'pass',
    'decision.outcome': 'APPROVED',
  };
  const bad: Attributes = { 'decision.type': 'REFUND_APPROVE', 'decision.actor.type': 'human', 'decision.outcome': 'MAYBE' };
  const unknown: Attributes = { 'decision.type': 'NOT_DECLARED' };
  const batch: TraceBatch = {
    resourceSpans: resourceSpansOf([good, bad, unknown].map((attributes) => decisionSpan({ attributes }))),
    spanCount: 3,
    decisions: [],
  };
  await processor.consumeTraces(batch);
  await processor.shutdown();
  assert.equal(received.length, 3);
  assert.equal(received[0]!.violations, undefined);
  assert.deepEqual(
    received[1]!.violations?.map((v) => v.rule),
    ['actor_type', 'key_evidence', 'key_policies', 'outcome'],
  );
  assert.deepEqual(
    received[2]!.violations?.map((v) => v.rule),
    ['unknown_type'],
  );
});
