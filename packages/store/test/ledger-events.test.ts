import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PAYLOAD_NESTING, type DecisionEvent } from '@decision-trace/model';
import { toLedgerEvents } from '../src/ledger-events.js';
import { ledgerCanonicalJson } from '../src/ledger-hash.js';
import { makeEvent } from './store-suite.js';

/**
 * toLedgerEvents checks the payload's nesting and writes the canonical JSON in one walk when the
 * event is shallow; these cases sit on either side of that walk's limit, and take the other path.
 */

/** `levels` objects, one inside the other. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { k: value };
  return value;
}

/** A payload whose own depth (the payload is level 1) is `depth`. */
function payloadOfDepth(depth: number): Record<string, unknown> {
  return { factors: nested(depth - 1) };
}

test('a payload exactly as deep as the limit is encoded as ledgerCanonicalJson writes it', () => {
  const event = makeEvent('decision.start', payloadOfDepth(MAX_PAYLOAD_NESTING), { decision_id: 'at-limit' });
  const { events, eventJson } = toLedgerEvents([event]);
  assert.equal(eventJson[0], ledgerCanonicalJson(event));
  assert.equal(events[0], event);
});

test('a payload one level deeper than the limit is refused with a RangeError', () => {
  const event = makeEvent('decision.start', payloadOfDepth(MAX_PAYLOAD_NESTING + 1), { decision_id: 'too-deep' });
  assert.throws(() => toLedgerEvents([event]), RangeError);
});

test('a cyclic payload is refused with a RangeError, a missing id before it with a TypeError', () => {
  const cyclic: Record<string, unknown> = { outcome: 'ok' };
  cyclic.self = cyclic;
  assert.throws(
    () => toLedgerEvents([makeEvent('decision.start', cyclic)]),
    (error: Error) => {
      assert.equal(error.name, 'RangeError');
      assert.match(error.message, /nest deeper than/);
      return true;
    },
  );
  const withoutTenant = { ...makeEvent('decision.start', cyclic), tenant_id: '' } as DecisionEvent;
  assert.throws(() => toLedgerEvents([withoutTenant]), TypeError);
});

test('fields beside the payload may nest deeper than the payload may, and encode as before', () => {
  // Only the payload is limited: an actor this deep takes the path that checks the payload alone.
  const event = { ...makeEvent('decision.start', { outcome: 'ok' }), actor: nested(MAX_PAYLOAD_NESTING + 5) } as unknown as DecisionEvent;
  const { eventJson } = toLedgerEvents([event]);
  assert.equal(eventJson[0], ledgerCanonicalJson(event));
});

test('a value JSON writes differently is folded as its JSON reads back, on either path', () => {
  const date = new Date(Date.UTC(2026, 0, 2));
  for (const payload of [{ start_time: date }, { start_time: date, deep: nested(MAX_PAYLOAD_NESTING - 1) }]) {
    const event = makeEvent('decision.start', payload);
    const { events, eventJson } = toLedgerEvents([event]);
    assert.equal(eventJson[0], ledgerCanonicalJson(event));
    assert.notEqual(events[0], event);
    assert.equal((events[0]!.payload as { start_time: unknown }).start_time, '2026-01-02T00:00:00.000Z');
  }
});
