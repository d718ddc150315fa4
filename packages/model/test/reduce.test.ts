import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDecisionEvent } from '@decision-trace/model/testing';
import { applyEvent, emptyRecord } from '../src/reduce.js';
import type { DecisionEvent, DecisionEventType } from '../src/event.js';
import type { DecisionRecord } from '../src/record.js';

let nextEventNumber = 0;

function event(event_type: DecisionEventType, payload: Record<string, unknown> = {}, overrides: Partial<DecisionEvent> = {}): DecisionEvent {
  nextEventNumber += 1;
  return makeDecisionEvent({
    event_id: `ev-${nextEventNumber}`,
    event_type,
    decision_id: 'dec-1',
    tenant_id: 'acme',
    payload,
    source: 'api.events',
    ...overrides,
  });
}

function fold(...events: DecisionEvent[]): DecisionRecord {
  let record: DecisionRecord | undefined;
  for (const e of events) record = applyEvent(record, e);
  assert.ok(record);
  return record;
}

test('emptyRecord has the id and tenant, nothing else, and is pending', () => {
  const record = emptyRecord('d', 't');
  assert.equal(record.id, 'd');
  assert.equal(record.tenant, 't');
  assert.equal(record.status, 'pending');
  assert.equal(record.event_count, 0);
  assert.deepEqual(record.evidence, {});
  assert.notEqual(emptyRecord('d', 't').actions, record.actions, 'each empty record owns its arrays');
});

test('the first event creates the record from the envelope', () => {
  const record = applyEvent(
    undefined,
    event(
      'decision.start',
      {},
      {
        decision_id: 'dec-9',
        tenant_id: 'globex',
        trace_id: 'a'.repeat(32),
        span_id: 'b'.repeat(16),
        parent_decision_id: 'dec-0',
        environment: 'prod',
        service_name: 'refunds',
      },
    ),
  );
  assert.equal(record.id, 'dec-9');
  assert.equal(record.tenant, 'globex');
  assert.equal(record.type, 'refund.approve');
  assert.equal(record.version, 'v2');
  assert.equal(record.trace_id, 'a'.repeat(32));
  assert.equal(record.span_id, 'b'.repeat(16));
  assert.equal(record.parent_decision_id, 'dec-0');
  assert.equal(record.environment, 'prod');
  assert.equal(record.service_name, 'refunds');
  assert.equal(record.event_count, 1);
  assert.equal(record.status, 'pending');
});

test('a type without suffix has a null version; a later suffix of the same type fills it', () => {
  const first = applyEvent(undefined, event('decision.start', {}, { decision_type: 'refund.approve' }));
  assert.equal(first.type, 'refund.approve');
  assert.equal(first.version, null);
  const second = applyEvent(first, event('decision.evidence', { key: 'k', value: 1 }, { decision_type: 'refund.approve.v3' }));
  assert.equal(second.version, 'v3');
  const other = applyEvent(first, event('decision.evidence', { key: 'k', value: 1 }, { decision_type: 'other.kind.v7' }));
  assert.equal(other.type, 'refund.approve', 'the first type wins');
  assert.equal(other.version, null, "a suffix of another type is not this record's version");
});

test('a null decision_type leaves the type to a later event', () => {
  const record = fold(
    event('decision.evidence', { key: 'k', value: 1 }, { decision_type: null }),
    event('decision.start', {}, { decision_type: 'kyc.check.v1' }),
  );
  assert.equal(record.type, 'kyc.check');
  assert.equal(record.version, 'v1');
});

test('payload.version overrides the suffix version', () => {
  const record = fold(event('decision.start', { version: '2025-01' }), event('decision.evidence', { key: 'k', value: 1 }));
  assert.equal(record.version, '2025-01');
});

test('envelope fields: first non-empty wins, later events fill gaps only', () => {
  const record = fold(
    event('decision.start', {}, { trace_id: 'trace-1', environment: null, service_name: '' }),
    event(
      'decision.evidence',
      { key: 'k', value: 1 },
      {
        trace_id: 'trace-2',
        environment: 'staging',
        service_name: 'svc-b',
        span_id: 'span-2',
        parent_decision_id: 'parent-2',
      },
    ),
    event('decision.evidence', { key: 'k', value: 2 }, { environment: 'prod', parent_decision_id: 'parent-3' }),
  );
  assert.equal(record.trace_id, 'trace-1');
  assert.equal(record.environment, 'staging');
  assert.equal(record.service_name, 'svc-b', 'an empty string does not block a later value');
  assert.equal(record.span_id, 'span-2');
  assert.equal(record.parent_decision_id, 'parent-2');
});

test('actor is merged field by field', () => {
  const record = fold(
    event('decision.start', {}, { actor: { id: 'agent-7', type: null, version: null, org: null } }),
    event('decision.approval', {}, { actor: { id: 'someone-else', type: 'agent', version: '1.4', org: null } }),
    event('decision.outcome', { status: 'approved' }, { actor: null }),
  );
  assert.deepEqual(record.actor, { id: 'agent-7', type: 'agent', version: '1.4', org: null });
});

test('causal links are a union deduplicated by (type, target)', () => {
  const record = fold(
    event(
      'decision.start',
      {},
      {
        causal_links: [
          { type: 'depends_on', target_decision_id: 'a' },
          { type: 'depends_on', target_decision_id: 'a' },
        ],
      },
    ),
    event(
      'decision.evidence',
      { key: 'k', value: 1 },
      {
        causal_links: [
          { type: 'depends_on', target_decision_id: 'a' },
          { type: 'triggered_by', target_decision_id: 'a' },
          { type: 'depends_on', target_decision_id: 'b' },
        ],
      },
    ),
  );
  assert.deepEqual(record.causal_links, [
    { type: 'depends_on', target_decision_id: 'a' },
    { type: 'triggered_by', target_decision_id: 'a' },
    { type: 'depends_on', target_decision_id: 'b' },
  ]);
});

test('event flags are appended and deduplicated by code and field', () => {
  const record = fold(
    event(
      'decision.observed',
      {},
      {
        flags: [{ code: 'invalid_json', field: 'factors', detail: 'unexpected token' }],
      },
    ),
    event(
      'decision.observed',
      {},
      {
        flags: [
          { code: 'invalid_json', field: 'factors', detail: 'another detail' },
          { code: 'invalid_json', field: 'alternatives', detail: 'x' },
          { code: 'confidence_out_of_range', field: 'confidence', detail: '1.3' },
        ],
      },
    ),
  );
  assert.deepEqual(
    record.flags.map((f) => [f.code, f.field, f.detail]),
    [
      ['invalid_json', 'factors', 'unexpected token'],
      ['invalid_json', 'alternatives', 'x'],
      ['confidence_out_of_range', 'confidence', '1.3'],
    ],
  );
});

test('evidence event sets evidence[key]; payload.evidence objects merge', () => {
  const record = fold(
    event('decision.evidence', { key: 'order_total', value: 120.5 }),
    event('decision.evidence', { key: 'customer_tier', value: 'gold' }),
    event('decision.observed', { evidence: { order_total: 99, country: 'FR' } }),
    event('decision.evidence', { key: 'note', value: null }),
  );
  assert.deepEqual(record.evidence, { order_total: 99, customer_tier: 'gold', country: 'FR', note: null });
});

test('evidence event without a key is flagged and changes no evidence', () => {
  const record = fold(event('decision.evidence', { value: 3 }));
  assert.deepEqual(record.evidence, {});
  assert.deepEqual(
    record.flags.map((f) => f.field),
    ['payload.key'],
  );
});

test('a policy checked twice keeps both results in order, the last as the current one', () => {
  const record = fold(
    event('decision.policy_check', { policy: 'max_amount', result: 'fail', inputs: { amount: 900 } }),
    event('decision.policy_check', { policy: 'kyc', result: 'pass' }),
    event('decision.policy_check', { policy: 'max_amount', result: 'pass' }),
    event('decision.observed', {
      policy_checks: [
        { policy: 'kyc', result: 'waived' },
        { policy: 'fraud', result: 'pass' },
      ],
    }),
    event('decision.policy_check', { policy: 'max_amount', result: 'pass', inputs: { amount: 90 } }),
  );
  assert.deepEqual(record.policy_checks, [
    {
      policy: 'max_amount',
      result: 'pass',
      inputs: { amount: 90 },
      history: [{ result: 'fail', inputs: { amount: 900 } }, { result: 'pass' }, { result: 'pass', inputs: { amount: 90 } }],
    },
    { policy: 'kyc', result: 'waived', history: [{ result: 'pass' }, { result: 'waived' }] },
    { policy: 'fraud', result: 'pass' },
  ]);
});

test('a policy that failed and then passed is current pass, its failure still on record', () => {
  const record = fold(
    event('decision.policy_check', { policy: 'credit_score', result: 'fail' }),
    event('decision.policy_check', { policy: 'credit_score', result: 'pass' }),
  );
  assert.equal(record.policy_checks.length, 1);
  assert.equal(record.policy_checks[0].result, 'pass');
  assert.deepEqual(
    record.policy_checks[0].history?.map((check) => check.result),
    ['fail', 'pass'],
  );
});

test('action, approval, evaluation and error keep their whole payload and never set record-level fields', () => {
  const record = fold(
    event('decision.start', { version: '2025-01' }),
    event('decision.evidence', { key: 'amount', value: 40 }),
    event('decision.outcome', { status: 'approved', confidence: 0.9 }),
    event('decision.action', { name: 'refund', amount: 40, confidence: 0.7, version: 'tool-v9', start_time: '2025-03-01T09:59:00Z' }),
    event('decision.action', { name: 'notify', evidence: { channel: 'email' } }),
    event('decision.approval', { approver: 'lead', outcome: 'escalated', confidence: 0.1 }),
    event('decision.evaluation', { metric: 'csat', score: 4, outcome: 'overturned', actions: ['follow_up'], evidence: { survey: 1 } }),
  );
  assert.deepEqual(record.actions, [
    { name: 'refund', amount: 40, confidence: 0.7, version: 'tool-v9', start_time: '2025-03-01T09:59:00Z' },
    { name: 'notify', evidence: { channel: 'email' } },
  ]);
  assert.deepEqual(record.approvals, [{ approver: 'lead', outcome: 'escalated', confidence: 0.1 }]);
  assert.deepEqual(record.evaluations, [{ metric: 'csat', score: 4, outcome: 'overturned', actions: ['follow_up'], evidence: { survey: 1 } }]);
  assert.equal(record.version, '2025-01');
  assert.equal(record.outcome, 'approved');
  assert.equal(record.confidence, 0.9);
  assert.deepEqual(record.evidence, { amount: 40 });
  assert.equal(record.start_time, '2025-03-01T10:00:00.000Z', "an action's start_time is the action's");
  assert.equal(record.status, 'decided');
});

test('a late evaluation keeps its outcome on the evaluation; the decision keeps its own', () => {
  const decided = fold(event('decision.start'), event('decision.outcome', { status: 'approved' }));
  const evaluated = applyEvent(decided, event('decision.evaluation', { outcome: 'incorrect', reviewer: 'qa' }, { timestamp: '2025-03-09T10:00:00.000Z' }));
  assert.equal(evaluated.outcome, 'approved');
  assert.equal(evaluated.status, 'decided');
  assert.deepEqual(evaluated.evaluations, [{ outcome: 'incorrect', reviewer: 'qa' }]);
  assert.equal(evaluated.updated_at, '2025-03-09T10:00:00.000Z');
});

test('an optional field that is not valid is not merged (and flags nothing)', () => {
  const record = fold(event('decision.observed', { outcome: 'ok', confidence: 'high' }));
  assert.equal(record.confidence, null);
  assert.equal(record.outcome, 'ok');
});

test('payload arrays actions/approvals/evaluations are appended on any event type', () => {
  const record = fold(
    event('decision.observed', { actions: [{ a: 1 }], approvals: [{ b: 2 }], evaluations: [{ c: 3 }] }),
    event('decision.observed', { actions: [{ a: 4 }] }),
  );
  assert.deepEqual(record.actions, [{ a: 1 }, { a: 4 }]);
  assert.deepEqual(record.approvals, [{ b: 2 }]);
  assert.deepEqual(record.evaluations, [{ c: 3 }]);
});

test('outcome event: status becomes the outcome, with confidence, alternatives and factors', () => {
  const record = fold(
    event('decision.start'),
    event('decision.outcome', {
      status: 'approved',
      confidence: 0.92,
      alternatives: ['deny', 'escalate'],
      factors: { amount: 'low', history: 'clean' },
    }),
  );
  assert.equal(record.outcome, 'approved');
  assert.equal(record.confidence, 0.92);
  assert.deepEqual(record.alternatives, ['deny', 'escalate']);
  assert.deepEqual(record.factors, { amount: 'low', history: 'clean' });
  assert.equal(record.status, 'decided');
});

test('outcome event without status falls back to payload.outcome, else is flagged', () => {
  assert.equal(fold(event('decision.outcome', { outcome: 'denied' })).outcome, 'denied');
  const flagged = fold(event('decision.outcome', {}));
  assert.equal(flagged.outcome, null);
  assert.deepEqual(
    flagged.flags.map((f) => f.field),
    ['payload.status'],
  );
});

test('raw strings of malformed factors and alternatives are kept as strings', () => {
  const record = fold(event('decision.observed', { factors: '{amount: low', alternatives: '[deny,' }));
  assert.equal(record.factors, '{amount: low');
  assert.equal(record.alternatives, '[deny,');
});

test('later scalar values replace earlier ones', () => {
  const record = fold(
    event('decision.observed', { outcome: 'approved', confidence: 0.5, factors: { a: 1 } }),
    event('decision.observed', { outcome: 'denied', confidence: 0.9, factors: { b: 2 } }),
  );
  assert.equal(record.outcome, 'denied');
  assert.equal(record.confidence, 0.9);
  assert.deepEqual(record.factors, { b: 2 });
});

test('error event stores the payload as the error and the record becomes errored', () => {
  const record = fold(event('decision.outcome', { status: 'approved' }), event('decision.error', { message: 'ledger timeout', error_type: 'TimeoutError' }));
  assert.deepEqual(record.error, { message: 'ledger timeout', error_type: 'TimeoutError' });
  assert.equal(record.outcome, 'approved');
  assert.equal(record.status, 'errored');
});

test('payload.error on an observed decision sets the error; an error event is its whole payload', () => {
  const observed = fold(event('decision.observed', { error: { message: 'boom' } }));
  assert.deepEqual(observed.error, { message: 'boom' });
  assert.equal(observed.status, 'errored');
  const wrapped = fold(event('decision.error', { error: { message: 'inner' } }));
  assert.deepEqual(wrapped.error, { error: { message: 'inner' } });
  const free = fold(event('decision.outcome', { status: 'approved' }), event('decision.error', { reason: 'quota', outcome: 'x', confidence: 0 }));
  assert.deepEqual(free.error, { reason: 'quota', outcome: 'x', confidence: 0 });
  assert.equal(free.outcome, 'approved');
  assert.equal(free.confidence, null);
  assert.equal(free.status, 'errored');
});

test('status transitions: pending → decided → errored', () => {
  const started = fold(event('decision.start'));
  assert.equal(started.status, 'pending');
  const decided = applyEvent(started, event('decision.outcome', { status: 'approved' }));
  assert.equal(decided.status, 'decided');
  const errored = applyEvent(decided, event('decision.error', { message: 'x', error_type: 'E' }));
  assert.equal(errored.status, 'errored');
});

test('start_time is the minimum and end_time the maximum over events; duration follows', () => {
  const record = fold(
    event('decision.evidence', { key: 'k', value: 1 }, { timestamp: '2025-03-01T10:00:05.000Z' }),
    event('decision.start', {}, { timestamp: '2025-03-01T10:00:01.000Z' }),
    event('decision.outcome', { status: 'ok' }, { timestamp: '2025-03-01T10:00:09.500Z' }),
    event('decision.evaluation', { score: 1 }, { timestamp: '2025-03-01T10:00:03.000Z' }),
  );
  assert.equal(record.start_time, '2025-03-01T10:00:01.000Z');
  assert.equal(record.end_time, '2025-03-01T10:00:09.500Z');
  assert.equal(record.duration_ms, 8500);
  assert.equal(record.updated_at, '2025-03-01T10:00:09.500Z');
});

test('payload start_time/end_time take the place of the timestamp for min/max', () => {
  const record = fold(
    event(
      'decision.observed',
      {
        start_time: '2025-03-01T09:00:00.000100Z',
        end_time: '2025-03-01T09:00:00.000350Z',
      },
      { timestamp: '2025-03-01T09:00:00.000Z' },
    ),
  );
  assert.equal(record.start_time, '2025-03-01T09:00:00.000100Z');
  assert.equal(record.end_time, '2025-03-01T09:00:00.000350Z');
  assert.equal(record.duration_ms, 0.25, 'sub-millisecond precision is kept');
  assert.equal(record.updated_at, '2025-03-01T09:00:00.000Z');
});

test('instants with offsets compare by the moment they denote', () => {
  const record = fold(
    event('decision.start', {}, { timestamp: '2025-03-01T10:00:00.000Z' }),
    event('decision.evidence', { key: 'k', value: 1 }, { timestamp: '2025-03-01T11:30:00.000+02:00' }),
  );
  assert.equal(record.start_time, '2025-03-01T11:30:00.000+02:00', '09:30Z is earlier than 10:00Z');
  assert.equal(record.end_time, '2025-03-01T10:00:00.000Z');
  assert.equal(record.updated_at, '2025-03-01T10:00:00.000Z');
});

test('an invalid payload start_time is flagged and the timestamp is used instead', () => {
  const record = fold(event('decision.observed', { start_time: 'yesterday' }, { timestamp: '2025-03-01T10:00:00.000Z' }));
  assert.equal(record.start_time, '2025-03-01T10:00:00.000Z');
  assert.deepEqual(
    record.flags.map((f) => [f.code, f.field]),
    [['invalid_value', 'payload.start_time']],
  );
});

test('updated_at is the latest timestamp even when events arrive out of order', () => {
  const record = fold(
    event('decision.evaluation', { score: 1 }, { timestamp: '2025-03-02T00:00:00.000Z' }),
    event('decision.start', {}, { timestamp: '2025-03-01T00:00:00.000Z' }),
  );
  assert.equal(record.updated_at, '2025-03-02T00:00:00.000Z');
  assert.equal(record.start_time, '2025-03-01T00:00:00.000Z');
});

test('event_count counts applied events', () => {
  const record = fold(event('decision.start'), event('decision.evidence', { key: 'a', value: 1 }), event('decision.outcome', { status: 'x' }));
  assert.equal(record.event_count, 3);
});

test('applyEvent does not modify the previous record', () => {
  const before = fold(
    event('decision.start', { evidence: { a: 1 } }, { actor: { id: null, type: 'agent', version: null, org: null } }),
    event('decision.action', { name: 'first' }),
    event('decision.policy_check', { policy: 'p', result: 'pass' }),
  );
  const snapshot = structuredClone(before);
  const after = applyEvent(
    before,
    event(
      'decision.observed',
      {
        evidence: { b: 2 },
        actions: [{ name: 'second' }],
        approvals: [{ by: 'x' }],
        evaluations: [{ s: 1 }],
        policy_checks: [{ policy: 'p', result: 'fail' }],
        outcome: 'done',
      },
      {
        actor: { id: 'agent-1', type: null, version: null, org: 'acme' },
        causal_links: [{ type: 'depends_on', target_decision_id: 'z' }],
        flags: [{ code: 'invalid_json', field: 'factors', detail: 'x' }],
        timestamp: '2025-03-05T00:00:00.000Z',
      },
    ),
  );
  assert.deepEqual(before, snapshot);
  assert.deepEqual(after.evidence, { a: 1, b: 2 });
  assert.equal(after.actions.length, 2);
  assert.deepEqual(after.actor, { id: 'agent-1', type: 'agent', version: null, org: 'acme' });
});

test('a non-object payload is treated as empty', () => {
  const record = applyEvent(undefined, event('decision.start', null as unknown as Record<string, unknown>));
  assert.equal(record.event_count, 1);
  assert.deepEqual(record.evidence, {});
});

test('decision.linked fills a missing parent without touching anything else', () => {
  const observed = event('decision.observed', { outcome: 'ok' }, { parent_decision_id: null });
  const linked = event('decision.linked', {}, { parent_decision_id: 'parent-1', decision_type: null, actor: null });
  const record = fold(observed, linked);
  assert.equal(record.parent_decision_id, 'parent-1');
  assert.equal(record.outcome, 'ok');
  assert.equal(record.status, 'decided');
  const alreadyParented = fold(event('decision.observed', {}, { parent_decision_id: 'given' }), linked);
  assert.equal(alreadyParented.parent_decision_id, 'given', 'a given parent is never replaced');
});

test('sampling verdicts: false sticks whatever the order, the adjusted count is the largest reported', () => {
  const kept = event('decision.observed', { outcome: 'approved' }, { sampling: { trace_sampled: true, adjusted_count: 10 } });
  const dropped = event('decision.sampling', {}, { sampling: { trace_sampled: false, policy: 'errors' } });
  const forward = fold(kept, dropped);
  const backward = fold(dropped, kept);
  for (const record of [forward, backward]) {
    assert.equal(record.trace_sampled, false);
    assert.equal(record.adjusted_count, 10);
  }
  const tail = fold(kept, event('decision.sampling', {}, { sampling: { trace_sampled: true, adjusted_count: 40 } }));
  assert.equal(tail.trace_sampled, true);
  assert.equal(tail.adjusted_count, 40);
  assert.equal(emptyRecord('d', 't').trace_sampled, null);
  assert.equal(fold(event('decision.observed')).adjusted_count, null, 'no sampler, nothing known');
});

test('a decision.sampling event changes no decision field and no decision time', () => {
  const observed = event('decision.observed', { outcome: 'approved', start_time: '2025-03-01T10:00:00.000Z', end_time: '2025-03-01T10:00:00.250Z' });
  const verdict = event('decision.sampling', {}, { decision_type: null, timestamp: '2025-03-01T10:00:31.000Z', sampling: { trace_sampled: true } });
  const record = fold(observed, verdict);
  assert.equal(record.outcome, 'approved');
  assert.equal(record.type, 'refund.approve');
  assert.equal(record.end_time, '2025-03-01T10:00:00.250Z');
  assert.equal(record.duration_ms, 250);
  assert.equal(record.updated_at, '2025-03-01T10:00:31.000Z');
  assert.equal(record.event_count, 2);
  assert.equal(record.trace_sampled, true);
});

test('redactions and violations: the record keeps the union of its events, once each, without values', () => {
  const first = event(
    'decision.observed',
    { outcome: 'approved' },
    {
      redactions: [{ field: 'decision.evidence.email', action: 'derive' }],
      violations: [{ rule: 'key_evidence', detail: 'missing evidence amount' }],
    },
  );
  const second = event(
    'decision.evidence',
    { key: 'note', value: 'n' },
    {
      event_id: 'e-2',
      redactions: [
        { field: 'decision.evidence.email', action: 'derive' },
        { field: 'decision.evidence.note', action: 'truncate' },
      ],
    },
  );
  const forward = fold(first, second);
  assert.deepEqual(forward.redactions, [
    { field: 'decision.evidence.email', action: 'derive' },
    { field: 'decision.evidence.note', action: 'truncate' },
  ]);
  assert.deepEqual(forward.violations, [{ rule: 'key_evidence', detail: 'missing evidence amount' }]);
  assert.equal(fold(second, first).redactions.length, 2, 'order does not matter');
  assert.deepEqual(emptyRecord('d', 't').redactions, []);
  assert.deepEqual(emptyRecord('d', 't').violations, []);
  const legacy = { ...emptyRecord('d', 't') } as Partial<DecisionRecord>;
  delete legacy.redactions;
  assert.deepEqual(applyEvent(legacy as DecisionRecord, first).redactions, first.redactions, 'a record stored before the field existed');
});
