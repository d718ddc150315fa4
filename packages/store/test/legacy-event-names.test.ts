import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CANONICAL_EVENT_TYPES, parseCanonicalEvents } from '@decision-trace/model';
import { SqliteDecisionStore } from '../src/sqlite/sqlite-store.js';
import { tempDir, withConnection } from './sqlite-test-database.js';

/**
 * legacy-0.1.db was written by the release before schema 1.0's event names (#14; see
 * fixtures/make-legacy-db.ts): its ledger rows say `evidence`, `policy_check`, … .
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/legacy-0.1.db', import.meta.url));

function openCopy(): { store: SqliteDecisionStore; file: string } {
  const file = join(tempDir(), 'decisions.db');
  copyFileSync(FIXTURE, file);
  return { store: new SqliteDecisionStore(file), file };
}

describe('a ledger written with the unprefixed event names of earlier releases', () => {
  test('the fixture really holds the old names (else this suite proves nothing)', () => {
    // A copy: even reading a WAL database writes beside it.
    const { store, file } = openCopy();
    void store.close();
    const stored = withConnection(file, (db) =>
      db
        .prepare<[], { event_type: string }>('SELECT DISTINCT event_type FROM ledger ORDER BY 1')
        .all()
        .map((r) => r.event_type),
    );
    assert.deepEqual(stored, ['action', 'approval', 'decision.start', 'error', 'evaluation', 'evidence', 'outcome', 'policy_check']);
  });

  test('still verifies: old rows keep the bytes they were hashed with', async () => {
    const { store } = openCopy();
    try {
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 19, first_broken: null });
    } finally {
      await store.close();
    }
  });

  test('reads its events under schema 1.0 names, and its records as they were', async () => {
    const { store } = openCopy();
    try {
      const [refund] = await store.getDecision('refund-1', { tenant: 'acme' });
      assert.deepEqual(
        refund.events.map((e) => e.event.event_type),
        [
          'decision.start',
          'decision.evidence',
          'decision.evidence',
          'decision.policy_check',
          'decision.action',
          'decision.approval',
          'decision.outcome',
          'decision.evaluation',
        ],
      );
      const seen = new Set<string>();
      for (const id of ['refund-1', 'notify-1', 'loan-7', 'loan-7-appeal']) {
        for (const detail of await store.getDecision(id)) for (const e of detail.events) seen.add(e.event.event_type);
      }
      assert.deepEqual([...seen].sort(), [...CANONICAL_EVENT_TYPES].sort(), 'every event type reads under its schema name');

      const record = refund.record;
      assert.equal(record.confidence, 0.92);
      assert.deepEqual(record.evidence, { order_total: 120.5, customer: { tier: 'gold', years: 4 } });
      assert.deepEqual(record.actor, { id: 'refund-bot', type: 'agent', version: '3.2.1', org: 'payments' });
      assert.equal(record.actions.length, 1);
      assert.equal(record.approvals.length, 1);
      assert.equal(record.evaluations.length, 1);
      assert.equal(record.event_count, 8);

      const [notify] = await store.getDecision('notify-1');
      assert.equal(notify.record.status, 'errored');
      assert.deepEqual(notify.record.causal_links, [
        { type: 'triggered_by', target_decision_id: 'refund-1' },
        { type: 'uses_evidence_from', target_decision_id: 'refund-1' },
      ]);
      assert.equal((await store.getDecision('refund-1')).length, 2, 'two tenants, two decisions');
    } finally {
      await store.close();
    }
  });

  test('takes new events under schema 1.0 names on the same chain, and still verifies', async () => {
    const { store, file } = openCopy();
    try {
      const { events, errors } = parseCanonicalEvents([
        {
          event_id: 'a-11',
          tenant_id: 'acme',
          decision_id: 'refund-1',
          event_type: 'decision.evaluation',
          timestamp: '2026-12-01T08:00:00.000Z',
          payload: { metric: 'chargeback', score: 0 },
        },
        // A client still on the old names, posting an event it had already sent before the upgrade.
        {
          event_id: 'a-7',
          tenant_id: 'acme',
          decision_id: 'refund-1',
          event_type: 'outcome',
          timestamp: '2026-11-01T10:00:00.500Z',
          payload: { status: 'approved', confidence: 0.92 },
        },
      ]);
      assert.deepEqual(errors, []);
      assert.deepEqual(await store.append(events), { appended: 1, duplicates: 1 });
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 20, first_broken: null });
      const [refund] = await store.getDecision('refund-1', { tenant: 'acme' });
      assert.equal(refund.record.evaluations.length, 2);
      assert.equal(refund.record.event_count, 9);
      const stored = withConnection(file, (db) => db.prepare<[], { event_type: string }>("SELECT event_type FROM ledger WHERE event_id = 'a-11'").get());
      assert.equal(stored?.event_type, 'decision.evaluation', 'new rows are written under the schema name');
    } finally {
      await store.close();
    }
  });
});

test('a database of an earlier release gains the alerts table when opened, and keeps its chains', async () => {
  const { store, file } = openCopy();
  try {
    const alert = {
      id: 'al-1',
      tenant: 'acme',
      at: '2026-01-02T03:04:05.000Z',
      type: 'refund.approve',
      version: 'v2',
      kind: 'outcome_rate',
      subject: 'approved',
      direction: 'up',
      message: 'decision anomaly',
      baseline: { version: 'v2', count: 500, rate: 0.6, mean: null },
      current: { version: null, count: 90, rate: 0.8, mean: null },
      p_value: 0.001,
      example_decision_ids: ['refund-1'],
      statistic: null,
      degrees_of_freedom: null,
      outcome_counts: null,
    };
    assert.deepEqual(await store.appendAlerts([alert]), { appended: 1, duplicates: 0 });
    assert.deepEqual((await store.queryAlerts({ tenant: 'acme' })).alerts, [alert]);
    assert.equal((await store.verifyLedger()).ok, true);
  } finally {
    await store.close();
  }
  const tables = withConnection(file, (db) =>
    db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alerts'").all(),
  );
  assert.equal(tables.length, 1);
});
