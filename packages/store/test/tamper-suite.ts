import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionEvent } from '@decision-trace/model';
import type { AuditEntry, DecisionStore, LedgerVerification } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';
import { contextSpan } from './trace-suite.js';

/**
 * The shared suite's part about tampering that the ledger's hash chain alone cannot see:
 * decision records (JSON and columns) edited behind the store, a tenant's whole chain deleted
 * with its records, audit entries edited or deleted. Registered by runStoreSuite.
 */
type WithStore = (title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>) => void;
type MakeEvent = (event_type: DecisionEvent['event_type'], payload: Record<string, unknown>, overrides?: Partial<DecisionEvent>) => DecisionEvent;

/** Behind the store's back, through a connection of the test's own. */
export interface TamperHooks {
  /** Replaces a decision's record JSON (only the JSON: its columns stay). */
  rewriteRecord(tenant: string, id: string, rewrite: (record: Record<string, unknown>) => Record<string, unknown>): Promise<void>;
  setDecisionColumn(tenant: string, id: string, column: string, value: unknown): Promise<void>;
  /** Deletes every row of the tenant: ledger, checkpoints, records, links, spans (and chain head). */
  deleteTenant(tenant: string): Promise<void>;
  deleteRecord(tenant: string, id: string): Promise<void>;
  setAuditColumn(seq: number, column: string, value: unknown): Promise<void>;
  deleteAudit(seq: number): Promise<void>;
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function auditEntry(n: number, tenant: string | null = 'acme'): AuditEntry {
  return {
    at: new Date(Date.UTC(2025, 2, 1, 12, 0, n)).toISOString(),
    key_name: `key-${n}`,
    role: tenant === null ? 'admin' : 'read',
    tenant,
    method: 'GET',
    path: '/v1/decisions',
    query: { outcome: 'approved', n: String(n) },
    status: 200,
  };
}

function assertBroken(verification: LedgerVerification, expected: { kind: string; tenant_id?: string; decision_id?: string; reason: RegExp }): void {
  assert.equal(verification.ok, false, `expected a ${expected.kind} problem, got ${JSON.stringify(verification)}`);
  const problem = verification.first_broken!;
  assert.equal(problem.kind, expected.kind, JSON.stringify(problem));
  if (expected.tenant_id !== undefined) assert.equal(problem.tenant_id, expected.tenant_id);
  if (expected.decision_id !== undefined) assert.equal(problem.decision_id, expected.decision_id);
  assert.match(problem.reason, expected.reason);
}

export function registerTamperTests(withStore: WithStore, makeEvent: MakeEvent): void {
  /** Decisions using every part of the fold (and token usage from a span), in two tenants. */
  async function seed(store: DecisionStore): Promise<void> {
    await store.append([
      makeEvent('decision.start', {}, { decision_id: 'r1', timestamp: '2025-03-01T10:00:00.000Z', span_id: 'plan-r1', service_name: 'svc-a' }),
      makeEvent('decision.evidence', { key: 'order_total', value: 120 }, { decision_id: 'r1', timestamp: '2025-03-01T10:00:01.000Z' }),
      makeEvent('decision.policy_check', { policy: 'max_amount', result: 'pass' }, { decision_id: 'r1', timestamp: '2025-03-01T10:00:02.000Z' }),
      makeEvent('decision.action', { name: 'refund', amount: 120 }, { decision_id: 'r1', timestamp: '2025-03-01T10:00:02.500Z' }),
      makeEvent(
        'decision.outcome',
        { status: 'approved', confidence: 0.9 },
        {
          decision_id: 'r1',
          timestamp: '2025-03-01T10:00:03.000Z',
          violations: [{ rule: 'key_evidence', detail: 'tier missing' }],
          redactions: [{ field: 'evidence.email', action: 'mask' }],
          causal_links: [{ type: 'triggered_by', target_decision_id: 'r2' }],
        },
      ),
      makeEvent('decision.sampling', {}, { decision_id: 'r1', timestamp: '2025-03-01T10:05:00.000Z', sampling: { trace_sampled: true, adjusted_count: 4 } }),
      makeEvent('decision.observed', { outcome: 'denied', confidence: 0.2 }, { decision_id: 'r2', timestamp: '2025-03-01T10:01:00.000Z' }),
      makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: 'g1', tenant_id: 'globex', timestamp: '2025-03-01T10:02:00.000Z' }),
    ]);
    await store.appendContextSpans([contextSpan('llm-1', 'plan-r1', { trace: TRACE, kind: 'LLM', usage: { input: 40, output: 2, cached: 0, total: 42 } })]);
  }

  withStore('tamper: records built from their events, token usage from spans and the audit log verify', async (store) => {
    await seed(store);
    await store.appendAudit([auditEntry(1), auditEntry(2, null)]);
    await store.appendAudit([auditEntry(3)]);
    const [r1] = await store.getDecision('r1', { tenant: 'acme' });
    assert.equal(r1!.record.token_usage?.total, 42, 'the span rolled up into the record');
    assert.equal(r1!.record.trace_sampled, true);
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 8, first_broken: null });
    assert.deepEqual(await store.verifyLedger({ tenant: 'globex' }), { ok: true, checked: 1, first_broken: null });
  });

  const recordEdits: Array<[string, (record: Record<string, unknown>) => Record<string, unknown>, RegExp]> = [
    ['outcome', (r) => ({ ...r, outcome: 'denied' }), /outcome is "denied" but its ledger events give "approved"/],
    ['confidence', (r) => ({ ...r, confidence: 0.99 }), /confidence/],
    ['evidence', (r) => ({ ...r, evidence: { order_total: 12 } }), /evidence/],
    ['actor', (r) => ({ ...r, actor: { id: 'someone-else', type: 'agent', version: null, org: null } }), /actor/],
    ['policy_checks', (r) => ({ ...r, policy_checks: [] }), /policy_checks/],
    ['violations', (r) => ({ ...r, violations: [] }), /violations/],
    ['trace_sampled', (r) => ({ ...r, trace_sampled: false }), /trace_sampled/],
    ['adjusted_count', (r) => ({ ...r, adjusted_count: 1 }), /adjusted_count/],
    ['updated_at', (r) => ({ ...r, updated_at: '2025-03-01T09:00:00.000Z' }), /updated_at/],
    ['outcome, removed from the JSON,', (r) => ({ ...r, outcome: undefined }), /outcome is null/],
    ['JSON, with a field added,', (r) => ({ ...r, approved_by: 'ceo' }), /approved_by/],
  ];
  for (const [what, rewrite, reason] of recordEdits) {
    withStore(`tamper: a record's ${what} edited behind the store is reported`, async (store, database) => {
      await seed(store);
      await database.tamper.rewriteRecord('acme', 'r1', rewrite);
      assertBroken(await store.verifyLedger(), { kind: 'record', tenant_id: 'acme', decision_id: 'r1', reason });
      assertBroken(await store.verifyLedger({ tenant: 'acme' }), { kind: 'record', decision_id: 'r1', reason });
      assert.equal((await store.verifyLedger({ tenant: 'globex' })).ok, true, 'another tenant is intact');
    });
  }

  withStore('tamper: a column that filters and stats read, edited behind the store, is reported', async (store, database) => {
    await seed(store);
    await database.tamper.setDecisionColumn('acme', 'r2', 'outcome', 'approved');
    assertBroken(await store.verifyLedger(), { kind: 'record', decision_id: 'r2', reason: /column outcome is "approved" but its ledger events give "denied"/ });
  });

  withStore('tamper: token usage edited in the record but not in its columns is reported (spans are not chained: see the README)', async (store, database) => {
    await seed(store);
    await database.tamper.rewriteRecord('acme', 'r1', (r) => ({ ...r, token_usage: { input: 1, output: 1, cached: 0, total: 2, llm_calls: 1 } }));
    assertBroken(await store.verifyLedger(), { kind: 'record', decision_id: 'r1', reason: /column input_tokens is 40 but its ledger events give 1/ });
  });

  withStore('tamper: a whole tenant deleted with its records is caught by the witness file', async (store, database) => {
    const dir = mkdtempSync(join(tmpdir(), 'decision-trace-witness-'));
    try {
      const witness = join(dir, 'witness.jsonl');
      await store.attachWitness({ path: witness, interval_ms: 60_000 });
      await seed(store);
      await store.appendAudit([auditEntry(1)]);
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 8, first_broken: null }, 'intact against its witness');
      await database.tamper.deleteTenant('globex');
      assert.deepEqual(
        await store.verifyLedger({ witness: join(dir, 'none.jsonl') }).catch((e: Error) => e.message.includes('none.jsonl')),
        true,
        'a missing witness file is an error, not a pass',
      );
      assertBroken(await store.verifyLedger(), { kind: 'witness', tenant_id: 'globex', reason: /globex.*seq 1.*no row/ });
      assertBroken(await store.verifyLedger({ witness }), { kind: 'witness', tenant_id: 'globex', reason: /no row/ });
      assert.equal((await store.verifyLedger({ tenant: 'acme' })).ok, true, 'the other tenant is intact');
      const lines = readFileSync(witness, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.ok(
        lines.some((line) => line.ledger?.globex?.seq === 1),
        'the witness holds the deleted chain',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  withStore('tamper: rows deleted from the end of a chain with the records fixed up are caught by the witness file', async (store, database) => {
    const dir = mkdtempSync(join(tmpdir(), 'decision-trace-witness-'));
    try {
      await store.attachWitness({ path: join(dir, 'w.jsonl'), interval_ms: 60_000 });
      await seed(store);
      // The newest acme decision (r2, seq 7) vanishes completely: its record and its ledger row.
      // The rest is consistent, so only the witnessed head reveals it.
      await database.deleteLedgerRow('acme', 7);
      await database.tamper.deleteRecord('acme', 'r2');
      assertBroken(await store.verifyLedger(), { kind: 'witness', tenant_id: 'acme', reason: /seq 7.*no row/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const auditEdits: Array<[string, string, unknown]> = [
    ['status', 'status', 404],
    ['path', 'path', '/v1/stats'],
    ['key name', 'key_name', 'innocent'],
    ['query', 'query', '{}'],
    ['tenant', 'tenant', 'globex'],
  ];
  for (const [what, column, value] of auditEdits) {
    withStore(`tamper: an audit entry's ${what} edited behind the store is reported`, async (store, database) => {
      await store.appendAudit([auditEntry(1), auditEntry(2), auditEntry(3)]);
      await database.tamper.setAuditColumn(2, column, value);
      assertBroken(await store.verifyLedger(), { kind: 'audit', reason: /audit entry hash mismatch/ });
    });
  }

  withStore('tamper: an audit entry deleted from the middle is reported; one deleted from the end by the witness', async (store, database) => {
    const dir = mkdtempSync(join(tmpdir(), 'decision-trace-witness-'));
    try {
      const witness = join(dir, 'w.jsonl');
      await store.attachWitness({ path: witness, interval_ms: 60_000 });
      await store.appendAudit([auditEntry(1), auditEntry(2)]);
      await store.appendAudit([auditEntry(3), auditEntry(4)]);
      assert.equal((await store.verifyLedger()).ok, true);
      await database.tamper.deleteAudit(4);
      assertBroken(await store.verifyLedger(), { kind: 'witness', reason: /audit log reach seq 4/ });
      await database.tamper.deleteAudit(2);
      assertBroken(await store.verifyLedger(), { kind: 'audit', reason: /audit seq gap: expected 2, found 3/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  withStore('tamper: heads that retention removed on purpose still verify against the witness', async (store) => {
    const dir = mkdtempSync(join(tmpdir(), 'decision-trace-witness-'));
    try {
      const witness = join(dir, 'w.jsonl');
      await store.attachWitness({ path: witness, interval_ms: 60_000 });
      await seed(store);
      // Witness acme at seq 6 (r1's last event), then append more and let retention remove r1 and r2.
      assert.equal((await store.verifyLedger()).ok, true);
      await store.append([makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: 'r3', timestamp: '2026-12-01T00:00:00.000Z' })]);
      const removed = await store.applyRetention([{ tenant: 'acme', ttl_ms: 24 * 3_600_000 }], new Date('2026-12-01T12:00:00.000Z'));
      assert.equal(removed.deleted_decisions, 2);
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 2, first_broken: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  registerWitnessAtCloseTest(withStore);
}

/** Heads are written at close, and a reopened store verifies against the file. */
function registerWitnessAtCloseTest(withStore: WithStore): void {
  withStore('tamper: the witness file gets the last heads at close and a reopened store verifies against it', async (store, database) => {
    const dir = mkdtempSync(join(tmpdir(), 'decision-trace-witness-'));
    try {
      const witness = join(dir, 'w.jsonl');
      await store.attachWitness({ path: witness, interval_ms: 60_000 });
      await store.appendAudit([auditEntry(1)]);
      await store.close();
      const reopened = await database.open();
      try {
        assert.deepEqual(await reopened.verifyLedger({ witness }), { ok: true, checked: 0, first_broken: null });
        await database.tamper.deleteAudit(1);
        assertBroken(await reopened.verifyLedger({ witness }), { kind: 'witness', reason: /audit log reach seq 1/ });
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
