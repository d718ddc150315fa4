import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDecisionEvent } from '@decision-trace/model/testing';
import {
  applyEvent,
  checkDecisionEvent,
  checkDecisionRecord,
  emptyRecord,
  parseDecisionRegistry,
  type DecisionEvent,
  type DecisionRecord,
  type DecisionRegistry,
} from '../src/index.js';

const REGISTRY_DOCUMENT = {
  decision_types: {
    'refund.approve': {
      description: 'Approve or deny a refund',
      actor_type: 'agent',
      key_evidence: ['amount', 'customer_tier'],
      key_policies: ['refund_limit'],
      outcomes: ['approved', 'denied'],
      expected_children: ['notify.channel'],
      confidence_required: true,
      versions: {
        v1: { confidence_required: false, key_evidence: ['amount'] },
        v2: {},
      },
    },
    'notify.channel': { actor_type: ['agent', 'system'], outcomes: ['email', 'sms'] },
    'audit.note': null,
  },
};

function registry(): DecisionRegistry {
  const parsed = parseDecisionRegistry(REGISTRY_DOCUMENT);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return parsed.registry;
}

function problemsOf(document: unknown): string[] {
  const parsed = parseDecisionRegistry(document);
  assert.ok(!parsed.ok, 'the registry was accepted');
  return parsed.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
}

/** A record that follows refund.approve v2 in every respect. */
function goodRefund(overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    ...emptyRecord('dec-1', 'default'),
    type: 'refund.approve',
    version: 'v2',
    actor: { id: 'agent-7', type: 'agent', version: null, org: null },
    evidence: { amount: 120, customer_tier: 'gold' },
    policy_checks: [{ policy: 'refund_limit', result: 'pass' }],
    outcome: 'approved',
    confidence: 0.9,
    status: 'decided',
    ...overrides,
  };
}

const flag = { unknownTypes: 'flag' as const };
const rules = (violations: Array<{ rule: string }>) => violations.map((v) => v.rule);

describe('registry format', () => {
  test('version fields replace the type fields; absent fields inherit them', () => {
    const refund = registry().types.get('refund.approve')!;
    assert.equal(refund.contract.confidence_required, true);
    assert.deepEqual(refund.versions.get('v1')!.key_evidence, ['amount']);
    assert.equal(refund.versions.get('v1')!.confidence_required, false);
    assert.deepEqual(refund.versions.get('v1')!.outcomes, ['approved', 'denied'], 'inherited');
    assert.deepEqual(refund.versions.get('v2')!, refund.contract);
    assert.deepEqual(registry().types.get('notify.channel')!.contract.actor_type, ['agent', 'system']);
    assert.deepEqual(registry().types.get('audit.note')!.contract.outcomes, null, 'an empty entry: any outcome');
  });

  test('unknown keys, wrong types and malformed names are reported with their paths', () => {
    assert.deepEqual(problemsOf({ decision_types: { 'refund.approve': { key_evidense: ['amount'] } } }), [
      'decision_types.refund.approve.key_evidense: unknown key',
    ]);
    assert.deepEqual(problemsOf({ decision_types: { x: { outcomes: 'approved' } } }).length, 1);
    assert.match(problemsOf({ decision_types: { x: { outcomes: 'approved' } } })[0]!, /^decision_types\.x\.outcomes: /);
    assert.match(problemsOf({ decision_types: { x: { confidence_required: 'yes' } } })[0]!, /^decision_types\.x\.confidence_required: /);
    assert.deepEqual(problemsOf({ decision_types: { x: { outcomes: [] } } }), [
      'decision_types.x.outcomes: list at least one outcome, or leave outcomes out to allow any',
    ]);
    assert.deepEqual(problemsOf({ decision_types: { x: { key_evidence: ['ok', ''] } } }), ['decision_types.x.key_evidence.1: must not be empty']);
    assert.deepEqual(problemsOf({ decision_types: { 'refund.approve.v2': {} } }), [
      'decision_types.refund.approve.v2: write the type without its version (refund.approve) and declare v2 under versions',
    ]);
    assert.deepEqual(problemsOf({ decision_types: { x: { versions: { two: {} } } } }), [
      'decision_types.x.versions.two: a version is v followed by digits (v2, v1.1, v3_1)',
    ]);
    assert.deepEqual(problemsOf({ decision_types: { x: { versions: { v1: { versions: {} } } } } }), ['decision_types.x.versions.v1.versions: unknown key']);
    assert.deepEqual(problemsOf({ types: {} }), ['decision_types: required: a map of decision types to their contracts', 'types: unknown key']);
  });
});

describe('record contracts', () => {
  test('a record that follows its contract has no violations', () => {
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund(), { ...flag, children: [{ type: 'notify.channel', version: 'v1' }] }), []);
  });

  test('unknown types: allow says nothing, flag and reject report it', () => {
    const record = goodRefund({ type: 'loan.approve', version: null });
    assert.deepEqual(checkDecisionRecord(registry(), record, { unknownTypes: 'allow' }), []);
    assert.deepEqual(checkDecisionRecord(registry(), record, flag), [{ rule: 'unknown_type', detail: 'decision type loan.approve is not in the registry' }]);
    assert.deepEqual(checkDecisionRecord(registry(), record, { unknownTypes: 'reject' }), [
      { rule: 'unknown_type', detail: 'decision type loan.approve is not in the registry (rejected)' },
    ]);
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ type: null }), flag), [], 'no type, no contract');
  });

  test('an unknown version is a violation and the type rules still apply', () => {
    const violations = checkDecisionRecord(registry(), goodRefund({ version: 'v9', confidence: null }), flag);
    assert.deepEqual(violations, [
      { rule: 'unknown_version', detail: 'version v9 of refund.approve is not in the registry (known: v1, v2)' },
      { rule: 'confidence_required', detail: 'confidence is required' },
    ]);
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ version: null }), flag), [], 'no version: the type rules');
  });

  test('actor type: missing or not allowed', () => {
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ actor: null }), flag), [
      { rule: 'actor_type', detail: 'actor type missing (expected agent)' },
    ]);
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ actor: { id: 'u', type: 'human', version: null, org: null } }), flag), [
      { rule: 'actor_type', detail: 'actor type human is not agent' },
    ]);
  });

  test('key evidence and key policies: one violation per missing one', () => {
    const violations = checkDecisionRecord(registry(), goodRefund({ evidence: {}, policy_checks: [{ policy: 'other', result: 'pass' }] }), flag);
    assert.deepEqual(violations, [
      { rule: 'key_evidence', detail: 'missing evidence amount' },
      { rule: 'key_evidence', detail: 'missing evidence customer_tier' },
      { rule: 'key_policies', detail: 'missing policy check refund_limit' },
    ]);
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ version: 'v1', evidence: { amount: 1 } }), flag), [], 'v1 needs amount only');
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ evidence: { amount: null, customer_tier: 'x' } }), flag), [], 'present, even null');
  });

  test('outcome not allowed; a pending record (no outcome yet) is not judged on it', () => {
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ outcome: 'maybe' }), flag), [
      { rule: 'outcome', detail: 'outcome maybe is not one of approved, denied' },
    ]);
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ outcome: null, status: 'pending' }), flag), []);
  });

  test('confidence required per version', () => {
    assert.deepEqual(rules(checkDecisionRecord(registry(), goodRefund({ confidence: null }), flag)), ['confidence_required']);
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund({ version: 'v1', confidence: null }), flag), []);
  });

  test('expected children: checked only when the children are given; a version suffix pins one', () => {
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund(), flag), [], 'children unknown: not checked');
    assert.deepEqual(checkDecisionRecord(registry(), goodRefund(), { ...flag, children: [{ type: 'fraud.score', version: null }] }), [
      { rule: 'expected_children', detail: 'no child decision of type notify.channel' },
    ]);
    const pinned = parseDecisionRegistry({ decision_types: { a: { expected_children: ['b.v2'] } } });
    assert.ok(pinned.ok);
    const parent = { ...emptyRecord('p', 't'), type: 'a' };
    assert.deepEqual(rules(checkDecisionRecord(pinned.registry, parent, { ...flag, children: [{ type: 'b', version: 'v1' }] })), ['expected_children']);
    assert.deepEqual(checkDecisionRecord(pinned.registry, parent, { ...flag, children: [{ type: 'b', version: 'v2' }] }), []);
  });
});

describe('event contracts (what the decision processor can see)', () => {
  function event(overrides: Partial<DecisionEvent>): DecisionEvent {
    return makeDecisionEvent({
      actor: { id: 'a', type: 'agent', version: null, org: null },
      payload: {
        outcome: 'approved',
        confidence: 0.9,
        evidence: { amount: 1, customer_tier: 'gold' },
        policy_checks: [{ policy: 'refund_limit', result: 'pass' }],
      },
      ...overrides,
    });
  }

  test('an observed decision is whole: every rule but expected_children is checked', () => {
    assert.deepEqual(checkDecisionEvent(registry(), event({}), flag), []);
    const partial = event({ payload: { outcome: 'maybe' } });
    assert.deepEqual(rules(checkDecisionEvent(registry(), partial, flag)), ['key_evidence', 'key_evidence', 'key_policies', 'outcome', 'confidence_required']);
  });

  test('a part of a decision is checked only on what it carries', () => {
    const start = event({ event_type: 'decision.start', payload: {} });
    assert.deepEqual(checkDecisionEvent(registry(), start, flag), [], 'evidence may come later');
    const outcome = event({ event_type: 'decision.outcome', payload: { status: 'maybe' }, actor: null });
    assert.deepEqual(checkDecisionEvent(registry(), outcome, flag), [{ rule: 'outcome', detail: 'outcome maybe is not one of approved, denied' }]);
    const human = event({ event_type: 'decision.evidence', payload: { key: 'amount', value: 1 }, actor: { id: 'u', type: 'human', version: null, org: null } });
    assert.deepEqual(rules(checkDecisionEvent(registry(), human, flag)), ['actor_type']);
    assert.deepEqual(rules(checkDecisionEvent(registry(), event({ event_type: 'decision.evidence', decision_type: 'x.y' }), flag)), ['unknown_type']);
    assert.deepEqual(checkDecisionEvent(registry(), event({ event_type: 'decision.evidence', decision_type: null }), flag), [], 'no type: nothing to check');
  });

  test('violations on events end up on the record, once each, whatever the order', () => {
    const violation = { rule: 'outcome', detail: 'outcome maybe is not one of approved, denied' };
    const first = event({ event_id: 'e1', violations: [violation] });
    const second = event({
      event_id: 'e2',
      event_type: 'decision.evidence',
      payload: { key: 'k', value: 1 },
      violations: [violation, { rule: 'actor_type', detail: 'x' }],
    });
    const record = applyEvent(applyEvent(undefined, first), second);
    assert.deepEqual(record.violations, [violation, { rule: 'actor_type', detail: 'x' }]);
    assert.deepEqual(applyEvent(undefined, event({})).violations, []);
  });
});
