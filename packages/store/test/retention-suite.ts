import assert from 'node:assert/strict';
import type { DecisionEvent } from '@decision-trace/model';
import type { DecisionStore, RetentionPolicy } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';
import { contextSpan } from './trace-suite.js';

/**
 * The shared suite's part about retention: expired decisions lose their record and events, the
 * chain is cut behind checkpoints, and verification still passes (and still catches tampering).
 * Registered by runStoreSuite, so every backend runs it.
 */
type WithStore = (title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>) => void;
type MakeEvent = (event_type: DecisionEvent['event_type'], payload: Record<string, unknown>, overrides?: Partial<DecisionEvent>) => DecisionEvent;

const DAY = 86_400_000;
const NOW = new Date('2025-03-31T00:00:00.000Z');

export function registerRetentionTests(withStore: WithStore, makeEvent: MakeEvent): void {
  /** A decision of two events (start, outcome) on 2025-03-`day`. */
  function decision(id: string, day: number, overrides: Partial<DecisionEvent> = {}): DecisionEvent[] {
    const date = `2025-03-${String(day).padStart(2, '0')}`;
    return [
      makeEvent('decision.start', {}, { decision_id: id, timestamp: `${date}T10:00:00.000Z`, ...overrides }),
      makeEvent('decision.outcome', { status: 'approved' }, { decision_id: id, timestamp: `${date}T10:00:01.000Z`, ...overrides }),
    ];
  }

  async function ids(store: DecisionStore, tenant: string): Promise<string[]> {
    return (await store.queryDecisions({ tenant, limit: 1000 })).decisions.map((d) => d.id);
  }

  withStore('retention deletes expired decisions with their events; the ledger still verifies and continues', async (store, database) => {
    await store.append(decision('old-a', 1));
    await store.append(decision('old-b', 2));
    await store.append(decision('new-c', 29));
    await store.append(decision('old-g', 1, { tenant_id: 'globex' }));

    const result = await store.applyRetention([{ tenant: 'acme', ttl_ms: 10 * DAY }], NOW);
    assert.deepEqual(result, { deleted_decisions: 2, deleted_events: 4, checkpoints: 1 });
    assert.deepEqual(await store.getDecision('old-a'), []);
    assert.deepEqual(await store.getDecision('old-b'), []);
    assert.deepEqual(await ids(store, 'acme'), ['new-c']);
    const [globex] = await store.getDecision('old-g');
    assert.equal(globex?.events.length, 2, 'another tenant is untouched');

    // The expired rows are gone from storage, behind a checkpoint at the last of them.
    assert.deepEqual(await database.ledgerShape('acme'), {
      rows: [
        { seq: 5, pruned: false },
        { seq: 6, pruned: false },
      ],
      checkpoints: [{ seq: 4, removed: 4 }],
    });
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 4, first_broken: null });

    await store.append([makeEvent('decision.evaluation', { score: 1 }, { decision_id: 'new-c', timestamp: '2025-03-30T10:00:00.000Z' })]);
    const [after] = await store.getDecision('new-c');
    assert.deepEqual(
      after!.events.map((e) => e.seq),
      [5, 6, 7],
    );
    assert.equal(after!.events[2]!.prev_hash, after!.events[1]!.hash);
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 5, first_broken: null });
    assert.deepEqual(await store.applyRetention([{ tenant: 'acme', ttl_ms: 10 * DAY }], NOW), {
      deleted_decisions: 0,
      deleted_events: 0,
      checkpoints: 0,
    });
  });

  withStore('per tenant and per type: the most specific rule wins and other types are untouched', async (store, database) => {
    await store.append(decision('k1', 5, { decision_type: 'kyc.check.v1' }));
    await store.append(decision('r1', 5, { decision_type: 'refund.approve.v2' }));
    await store.append(decision('k2', 5, { decision_type: 'kyc.check.v2' }));
    await store.append(decision('rg', 5, { decision_type: 'refund.approve.v2', tenant_id: 'globex' }));
    await store.append(decision('kg', 5, { decision_type: 'kyc.check.v1', tenant_id: 'globex' }));

    const policies: RetentionPolicy[] = [
      { type: 'kyc.check', ttl_ms: 3 * DAY },
      { ttl_ms: 365 * DAY },
      { tenant: 'globex', type: 'refund.approve', ttl_ms: DAY },
      { tenant: 'globex', ttl_ms: 365 * DAY },
    ];
    const result = await store.applyRetention(policies, NOW);
    assert.deepEqual(result, { deleted_decisions: 3, deleted_events: 6, checkpoints: 2 });
    assert.deepEqual(await ids(store, 'acme'), ['r1']);
    assert.deepEqual(await ids(store, 'globex'), ['kg'], "globex's own rule outranks the kyc rule for every tenant");

    // k1 opened the chain and was cut; k2's rows in the middle keep only their links.
    assert.deepEqual(await database.ledgerShape('acme'), {
      rows: [
        { seq: 3, pruned: false },
        { seq: 4, pruned: false },
        { seq: 5, pruned: true },
        { seq: 6, pruned: true },
      ],
      checkpoints: [{ seq: 2, removed: 2 }],
    });
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 6, first_broken: null });

    // Once everything is past its time, each chain is cut up to its last row, which stays as a link.
    assert.deepEqual(await store.applyRetention([{ ttl_ms: DAY }], NOW), { deleted_decisions: 2, deleted_events: 4, checkpoints: 2 });
    assert.deepEqual(await database.ledgerShape('acme'), {
      rows: [{ seq: 6, pruned: true }],
      checkpoints: [
        { seq: 2, removed: 2 },
        { seq: 5, removed: 3 },
      ],
    });
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 2, first_broken: null });
    await store.append(decision('next', 30));
    const [next] = await store.getDecision('next');
    assert.deepEqual(
      next!.events.map((e) => e.seq),
      [7, 8],
      'the chain continues after its pruned last row',
    );
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 4, first_broken: null });
  });

  withStore('a redelivered event of a pruned decision stays a duplicate', async (store) => {
    const kept = decision('keep', 29);
    const expired = decision('gone', 1);
    await store.append([...expired, ...kept]);
    await store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    assert.deepEqual(await store.getDecision('gone'), []);
    // `gone` is the start of the chain, cut behind the checkpoint: its ids are forgotten.
    // `late` below is pruned in place (after `keep`), so its id is still known.
    const late = decision('late', 2);
    await store.append(late);
    await store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    assert.deepEqual(await store.append(late), { appended: 0, duplicates: 2 });
    assert.deepEqual(await store.getDecision('late'), []);
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 4, first_broken: null });
  });

  withStore('tampering after retention is still detected', async (store, database) => {
    await store.append(decision('a', 1));
    await store.append(decision('b', 29));
    await store.append(decision('c', 29));
    const [a] = await store.getDecision('a');
    const cutHash = a!.events[1]!.hash;
    await store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    assert.equal((await store.verifyLedger()).ok, true);

    await database.rewriteCheckpointHash('acme', 2, 'f'.repeat(64));
    const forged = await store.verifyLedger();
    assert.equal(forged.ok, false);
    assert.deepEqual([forged.first_broken?.seq, forged.first_broken?.reason], [3, 'prev_hash does not match previous row']);
    await database.rewriteCheckpointHash('acme', 2, cutHash);
    assert.equal((await store.verifyLedger()).ok, true);

    const row = await database.rewriteLedgerEvent('acme', 5, (event) => ({ ...event, payload: { status: 'denied' } }));
    const edited = await store.verifyLedger();
    assert.deepEqual([edited.first_broken?.seq, edited.first_broken?.row, edited.first_broken?.reason], [5, row, 'hash mismatch']);

    await database.deleteLedgerRow('acme', 3);
    const deleted = await store.verifyLedger();
    assert.deepEqual([deleted.first_broken?.seq, deleted.first_broken?.reason], [4, 'seq gap: expected 3, found 4']);
  });

  withStore('more expired decisions than one retention step are all deleted', async (store, database) => {
    const old = Array.from({ length: 1203 }, (_, i) =>
      makeEvent('decision.observed', { outcome: 'ok' }, { decision_id: `old-${i}`, timestamp: '2025-03-01T10:00:00.000Z' }),
    );
    await store.append(old);
    await store.append(decision('fresh', 30));
    const result = await store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    assert.equal(result.deleted_decisions, 1203);
    assert.equal(result.deleted_events, 1203);
    assert.ok(result.checkpoints >= 1);
    assert.deepEqual(await ids(store, 'acme'), ['fresh']);
    assert.deepEqual((await database.ledgerShape('acme')).rows, [
      { seq: 1204, pruned: false },
      { seq: 1205, pruned: false },
    ]);
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 2, first_broken: null });
  });

  withStore('retention while appends go on leaves one valid chain', async (store) => {
    for (let i = 0; i < 50; i++) await store.append(decision(`old-${i}`, 1 + (i % 5)));
    const appends = Array.from({ length: 30 }, (_, i) => store.append(decision(`new-${i}`, i % 2 === 0 ? 2 : 30)));
    const retention = store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    await Promise.all([...appends, retention]);
    await store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    assert.deepEqual((await ids(store, 'acme')).sort(), Array.from({ length: 15 }, (_, i) => `new-${2 * i + 1}`).sort());
    const verification = await store.verifyLedger();
    assert.equal(verification.ok, true, JSON.stringify(verification.first_broken));
  });

  withStore('the context spans of a trace go with its last decision', async (store) => {
    const emptied = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const shared = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    await store.append([
      ...decision('old-1', 1, { trace_id: emptied }),
      ...decision('old-2', 1, { trace_id: shared }),
      ...decision('new-2', 29, { trace_id: shared }),
    ]);
    await store.appendContextSpans([
      contextSpan('1111111111111111', null, { trace: emptied }),
      contextSpan('2222222222222222', '1111111111111111', { trace: emptied }),
      contextSpan('3333333333333333', null, { trace: shared }),
    ]);
    assert.equal((await store.getTrace(emptied)).length, 1);

    await store.applyRetention([{ ttl_ms: 10 * DAY }], NOW);
    assert.deepEqual(await store.getTrace(emptied), []);
    const [kept] = await store.getTrace(shared);
    assert.deepEqual(
      kept!.spans.map((s) => s.span_id),
      ['3333333333333333'],
    );
    assert.deepEqual(
      kept!.decisions.map((d) => d.id),
      ['new-2'],
    );
  });

  withStore('invalid retention policies are refused and change nothing', async (store) => {
    await store.append(decision('x', 1));
    const invalid: unknown[] = [
      [{ ttl_ms: 0 }],
      [{ ttl_ms: -DAY }],
      [{ ttl_ms: 1.5 }],
      [{ type: 'refund.approve.v2', ttl_ms: DAY }],
      [{ tenant: '', ttl_ms: DAY }],
      [
        { tenant: 'acme', ttl_ms: DAY },
        { tenant: 'acme', ttl_ms: 2 * DAY },
      ],
    ];
    for (const policies of invalid) {
      await assert.rejects(store.applyRetention(policies as RetentionPolicy[], NOW), RangeError, JSON.stringify(policies));
    }
    assert.equal((await store.getDecision('x')).length, 1);
  });
}
