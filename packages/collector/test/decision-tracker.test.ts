import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionEvent } from '@decision-trace/model';
import { agreementOf, DecisionTracker } from '../src/shared/decision-tracker.js';

/** The decision_metrics connector's fold of events: counted once, at the outcome; bounded; evaluations judged. */

function event(decisionId: string, eventType: DecisionEvent['event_type'], payload: Record<string, unknown>): DecisionEvent {
  return {
    schema_version: '1.0',
    event_id: `${decisionId}-${eventType}-${JSON.stringify(payload)}`,
    event_type: eventType,
    decision_id: decisionId,
    decision_type: 'refund.approve.v2',
    parent_decision_id: null,
    trace_id: null,
    span_id: null,
    tenant_id: 'acme',
    environment: 'prod',
    timestamp: '2026-12-07T06:00:00.000Z',
    actor: null,
    payload,
    causal_links: [],
    source: 'api.events',
  };
}

test('a decision is counted once, when its outcome arrives, with what earlier events said', () => {
  const tracker = new DecisionTracker(10);
  assert.equal(tracker.observe(event('d1', 'decision.start', { confidence: 0.7 })).completed, undefined);
  const done = tracker.observe(event('d1', 'decision.outcome', { status: 'approved' })).completed;
  assert.equal(done?.outcome, 'approved');
  assert.equal(done?.confidence, 0.7);
  assert.equal(done?.version, 'v2');
  assert.equal(tracker.observe(event('d1', 'decision.outcome', { status: 'denied' })).completed, undefined, 'never twice');
});

test('the least recently touched decisions are forgotten first', () => {
  const tracker = new DecisionTracker(2);
  tracker.observe(event('a', 'decision.start', {}));
  tracker.observe(event('b', 'decision.start', {}));
  tracker.observe(event('a', 'decision.evidence', { key: 'k', value: 1 }));
  tracker.observe(event('c', 'decision.start', {}));
  assert.equal(tracker.size, 2);
  assert.ok(tracker.get('acme', 'a') && tracker.get('acme', 'c'));
  assert.equal(tracker.get('acme', 'b'), undefined);
});

test('an evaluation agrees by its verdict, else by the outcome it expected; unknown otherwise', () => {
  const tracker = new DecisionTracker(10);
  tracker.observe(event('d1', 'decision.outcome', { status: 'approved' }));
  assert.equal(tracker.observe(event('d1', 'decision.evaluation', { expected_outcome: 'approved' })).evaluation?.agreement, 'agree');
  assert.equal(tracker.observe(event('review', 'decision.evaluation', { target_decision_id: 'd1', outcome: 'denied' })).evaluation?.agreement, 'disagree');
  const byVerdict = tracker.observe(event('review', 'decision.evaluation', { target_decision_id: 'd1', correct: true, outcome: 'denied' })).evaluation;
  assert.equal(byVerdict?.agreement, 'agree', 'an explicit verdict wins');
  assert.equal(byVerdict?.target?.id, 'd1');
  assert.equal(
    tracker.observe(event('review', 'decision.evaluation', { target_decision_id: 'gone', expected_outcome: 'approved' })).evaluation?.agreement,
    'unknown',
  );
  assert.equal(agreementOf({ score: 1 }, undefined), 'unknown');
});
