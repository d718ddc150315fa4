import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRecord } from '@decision-trace/model';
import { decisionSortTime, decodeCursor, encodeCursor, InvalidQueryError, normalizeDecisionQuery, rfc3339ToEpochMicros } from '../src/index.js';

test('a type with a version suffix filters on both; without, on the type only', () => {
  const suffixed = normalizeDecisionQuery({ type: 'refund.approve.v2' });
  assert.equal(suffixed.type, 'refund.approve');
  assert.deepEqual(suffixed.versions, ['v2']);
  const plain = normalizeDecisionQuery({ type: 'refund.approve' });
  assert.equal(plain.type, 'refund.approve');
  assert.deepEqual(plain.versions, []);
  assert.deepEqual(normalizeDecisionQuery({ type: 'refund.approve.v2', version: 'v2' }).versions, ['v2']);
  assert.deepEqual(normalizeDecisionQuery({ type: 'refund.approve.v2', version: 'v3' }).versions, ['v2', 'v3']);
});

test('limit: default 50, capped at 1000, positive integers only', () => {
  assert.equal(normalizeDecisionQuery({}).limit, 50);
  assert.equal(normalizeDecisionQuery({ limit: 7 }).limit, 7);
  assert.equal(normalizeDecisionQuery({ limit: 1001 }).limit, 1000);
  for (const limit of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => normalizeDecisionQuery({ limit }), InvalidQueryError);
  }
});

test('since and until become epoch microseconds', () => {
  const q = normalizeDecisionQuery({ since: '2025-03-01T10:00:00.000250Z', until: '2025-03-01T12:00:00+02:00' });
  assert.equal(q.sinceMicros, Date.UTC(2025, 2, 1, 10) * 1000 + 250);
  assert.equal(q.untilMicros, Date.UTC(2025, 2, 1, 10) * 1000);
  assert.throws(() => normalizeDecisionQuery({ since: '2025-03-01' }), /invalid since/);
});

test('cursors round-trip and malformed ones are rejected', () => {
  const key = { time: 1_740_823_200_000_123, id: 'dec/1 é', tenant: 'acme' };
  const cursor = encodeCursor(key);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(cursor), key);
  assert.deepEqual(normalizeDecisionQuery({ cursor }).after, key);
  for (const bad of ['%%%', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
    assert.throws(() => decodeCursor(bad), InvalidQueryError);
  }
});

test('the ordering time is start_time, or updated_at without one', () => {
  const started = { ...emptyRecord('a', 't'), start_time: '2025-03-01T10:00:00.000Z', updated_at: '2025-03-02T10:00:00.000Z' };
  assert.equal(decisionSortTime(started), Date.UTC(2025, 2, 1, 10) * 1000);
  const unstarted = { ...emptyRecord('b', 't'), updated_at: '2025-03-02T10:00:00.000Z' };
  assert.equal(decisionSortTime(unstarted), Date.UTC(2025, 2, 2, 10) * 1000);
});

test('RFC 3339 parsing keeps microseconds and requires an offset', () => {
  assert.equal(rfc3339ToEpochMicros('1970-01-01T00:00:00.000001Z'), 1);
  assert.equal(rfc3339ToEpochMicros('1970-01-01T00:00:01.5Z'), 1_500_000);
  assert.equal(rfc3339ToEpochMicros('1970-01-01T01:00:00+01:00'), 0);
  assert.equal(rfc3339ToEpochMicros('1970-01-01T00:00:00.123456789Z'), 123_456);
  assert.equal(rfc3339ToEpochMicros('1970-01-01T00:00:00'), null);
  assert.equal(rfc3339ToEpochMicros('soon'), null);
});

test('the new filters are normalised: empty strings drop, bounds and evidence are kept', () => {
  const filter = normalizeDecisionQuery({
    actor_id: 'agent-1',
    actor_type: '',
    service: 'svc',
    status: 'decided',
    min_confidence: 0,
    max_confidence: 1,
    has_violations: false,
    evidence: [{ key: 'tier', value: 'a=b' }],
  });
  assert.equal(filter.actorId, 'agent-1');
  assert.equal(filter.actorType, null);
  assert.equal(filter.service, 'svc');
  assert.equal(filter.status, 'decided');
  assert.equal(filter.minConfidence, 0);
  assert.equal(filter.maxConfidence, 1);
  assert.equal(filter.hasViolations, false);
  assert.deepEqual(filter.evidence, [{ key: 'tier', value: 'a=b' }]);
  const none = normalizeDecisionQuery({});
  assert.deepEqual([none.minConfidence, none.maxConfidence, none.hasViolations, none.evidence], [null, null, null, []]);
  assert.throws(() => normalizeDecisionQuery({ min_confidence: 0.6, max_confidence: 0.5 }), /min_confidence 0.6 is above max_confidence 0.5/);
  assert.throws(() => normalizeDecisionQuery({ max_confidence: 2 }), /invalid max_confidence: expected a number from 0 to 1, got 2/);
});
