import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionEvent, DecisionEventType, DecisionRecord } from '@decision-trace/model';
import { GENESIS_HASH, InvalidQueryError, type DecisionStore } from '../src/index.js';
import { registerTraceTests } from './trace-suite.js';
import { registerRetentionTests } from './retention-suite.js';
import { registerAnalyticsTests } from './analytics-suite.js';
import { registerRollupTests } from './rollup-suite.js';
import { registerTamperTests, type TamperHooks } from './tamper-suite.js';
import { registerAlertTests } from './alerts-suite.js';

/**
 * The behaviour every DecisionStore backend must have. A backend test provides a fresh
 * database per test and a few hooks that reach the database behind the store's back (another
 * connection), to tamper with the ledger and to reopen the same data.
 */
export interface StoreTestDatabase {
  /** Opens a store on this database; called again after close() to reopen the same data. */
  open(): Promise<DecisionStore>;
  /** Through another connection: replaces one ledger row's event; returns the row's id. */
  rewriteLedgerEvent(tenant: string, seq: number, rewrite: (event: Record<string, unknown>) => Record<string, unknown>): Promise<number>;
  /** Through another connection: deletes one ledger row; returns its row id. */
  deleteLedgerRow(tenant: string, seq: number): Promise<number>;
  /** Versions recorded as applied, in the order they are stored. */
  appliedMigrations(): Promise<number[]>;
  /** What the ledger physically holds for a tenant: its rows (pruned or not) and its checkpoints, by seq. */
  ledgerShape(tenant: string): Promise<LedgerShape>;
  /** Through another connection: replaces the hash of a tenant's checkpoint. */
  rewriteCheckpointHash(tenant: string, seq: number, hash: string): Promise<void>;
  /**
   * Through another connection, with the store closed: drops the hourly roll-ups and forgets
   * their migration, as a database from before it (the next open migrates and backfills them).
   */
  forgetRollups(): Promise<void>;
  /** Edits of records, whole tenants and the audit log behind the store's back (tamper-suite.ts). */
  tamper: TamperHooks;
  dispose(): Promise<void>;
}

export interface LedgerShape {
  rows: Array<{ seq: number; pruned: boolean }>;
  checkpoints: Array<{ seq: number; removed: number }>;
}

export interface StoreSuiteOptions {
  /** Skips every test with this reason (e.g. the database server is not reachable). */
  skip?: string;
}

let eventCounter = 0;

export function makeEvent(event_type: DecisionEventType, payload: Record<string, unknown>, overrides: Partial<DecisionEvent> = {}): DecisionEvent {
  eventCounter += 1;
  return {
    schema_version: '1.0',
    event_id: `evt-${eventCounter}`,
    event_type,
    decision_id: 'dec-1',
    decision_type: 'refund.approve.v2',
    parent_decision_id: null,
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: null,
    tenant_id: 'acme',
    environment: 'prod',
    timestamp: '2025-03-01T10:00:00.000Z',
    actor: { id: 'agent-7', type: 'agent', version: null, org: null },
    payload,
    causal_links: [],
    source: 'api.events',
    ...overrides,
  };
}

/** A whole decision in one event, at minute `minute` of 2025-03-01T10:00Z. */
function observed(id: string, minute: number, overrides: Partial<DecisionEvent> = {}, payload: Record<string, unknown> = {}): DecisionEvent {
  const time = new Date(Date.UTC(2025, 2, 1, 10, minute)).toISOString();
  return makeEvent('decision.observed', { outcome: 'approved', ...payload }, { decision_id: id, timestamp: time, ...overrides });
}

export function runStoreSuite(name: string, createDatabase: () => Promise<StoreTestDatabase>, options: StoreSuiteOptions = {}): void {
  describe(name, options.skip === undefined ? {} : { skip: options.skip }, () => {
    /** Runs `body` with a store on a fresh database and cleans up whatever happens. */
    function withStore(title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>): void {
      test(title, async () => {
        const database = await createDatabase();
        const store = await database.open();
        try {
          await body(store, database);
        } finally {
          await store.close();
          await database.dispose();
        }
      });
    }

    async function only(store: DecisionStore, id: string, tenant?: string): Promise<DecisionRecord> {
      const details = await store.getDecision(id, tenant === undefined ? {} : { tenant });
      assert.equal(details.length, 1, `exactly one decision ${id}`);
      return details[0]!.record;
    }

    async function allIds(store: DecisionStore, query: Parameters<DecisionStore['queryDecisions']>[0]): Promise<string[]> {
      const page = await store.queryDecisions({ limit: 1000, ...query });
      return page.decisions.map((d) => d.id);
    }

    registerTraceTests(withStore, makeEvent);
    registerRetentionTests(withStore, makeEvent);
    registerAnalyticsTests(withStore, makeEvent);
    registerRollupTests(withStore, makeEvent);
    registerTamperTests(withStore, makeEvent);
    registerAlertTests(withStore);

    withStore('ledger rows with the unprefixed event names of earlier releases verify and read under schema 1.0 names', async (store) => {
      // As an earlier release stored them: the alias in the event and in the ledger's column.
      const legacy = [
        makeEvent('evidence' as DecisionEventType, { key: 'k', value: 1 }, { timestamp: '2025-03-01T10:00:00.000Z' }),
        makeEvent('outcome' as DecisionEventType, { status: 'approved' }, { timestamp: '2025-03-01T10:00:01.000Z' }),
      ];
      assert.deepEqual(await store.append(legacy), { appended: 2, duplicates: 0 });
      const [detail] = await store.getDecision('dec-1');
      assert.deepEqual(
        detail.events.map((entry) => entry.event.event_type),
        ['decision.evidence', 'decision.outcome'],
      );
      assert.equal(detail.record.outcome, 'approved');
      assert.deepEqual(detail.record.evidence, { k: 1 });
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 2, first_broken: null });
    });

    withStore('append materialises one record merged across calls', async (store) => {
      const first = await store.append([
        makeEvent('decision.start', {}, { timestamp: '2025-03-01T10:00:00.000Z' }),
        makeEvent('decision.evidence', { key: 'order_total', value: 120 }, { timestamp: '2025-03-01T10:00:01.000Z' }),
      ]);
      assert.deepEqual(first, { appended: 2, duplicates: 0 });
      assert.equal((await only(store, 'dec-1')).status, 'pending');

      const second = await store.append([
        makeEvent('decision.policy_check', { policy: 'max_amount', result: 'pass' }, { timestamp: '2025-03-01T10:00:02.000Z' }),
        makeEvent('decision.outcome', { status: 'approved', confidence: 0.9 }, { timestamp: '2025-03-01T10:00:03.000Z' }),
      ]);
      assert.deepEqual(second, { appended: 2, duplicates: 0 });

      const record = await only(store, 'dec-1');
      assert.equal(record.tenant, 'acme');
      assert.equal(record.type, 'refund.approve');
      assert.equal(record.version, 'v2');
      assert.deepEqual(record.evidence, { order_total: 120 });
      assert.deepEqual(record.policy_checks, [{ policy: 'max_amount', result: 'pass' }]);
      assert.equal(record.outcome, 'approved');
      assert.equal(record.confidence, 0.9);
      assert.equal(record.status, 'decided');
      assert.equal(record.event_count, 4);
      assert.equal(record.start_time, '2025-03-01T10:00:00.000Z');
      assert.equal(record.end_time, '2025-03-01T10:00:03.000Z');
      assert.equal(record.duration_ms, 3000);
    });

    withStore('a late event a day later updates the record', async (store) => {
      await store.append([makeEvent('decision.outcome', { status: 'approved' })]);
      await store.append([makeEvent('decision.evaluation', { metric: 'csat', score: 5 }, { timestamp: '2025-03-02T10:00:00.000Z' })]);
      const record = await only(store, 'dec-1');
      assert.deepEqual(record.evaluations, [{ metric: 'csat', score: 5 }]);
      assert.equal(record.updated_at, '2025-03-02T10:00:00.000Z');
      assert.equal(record.event_count, 2);
    });

    withStore('events of several decisions and tenants in one call', async (store) => {
      const result = await store.append([
        makeEvent('decision.start', {}, { decision_id: 'a' }),
        makeEvent('decision.start', {}, { decision_id: 'b' }),
        makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'a' }),
        makeEvent('decision.start', {}, { decision_id: 'a', tenant_id: 'globex' }),
        makeEvent('decision.outcome', { status: 'denied' }, { decision_id: 'a' }),
      ]);
      assert.deepEqual(result, { appended: 5, duplicates: 0 });
      const a = await only(store, 'a', 'acme');
      assert.equal(a.event_count, 3);
      assert.equal(a.outcome, 'denied');
      assert.deepEqual(a.evidence, { k: 1 });
      assert.equal((await only(store, 'b')).event_count, 1);
      assert.equal((await only(store, 'a', 'globex')).event_count, 1);
    });

    withStore('ledger entries chain per tenant from the genesis hash, in seq order', async (store) => {
      const events = [
        makeEvent('decision.start', {}, { decision_id: 'x' }),
        makeEvent('decision.start', {}, { decision_id: 'x', tenant_id: 'globex' }),
        makeEvent('decision.evidence', { key: 'k', value: 'v' }, { decision_id: 'x' }),
      ];
      await store.append(events.slice(0, 2));
      await store.append(events.slice(2));
      const [acme] = await store.getDecision('x', { tenant: 'acme' });
      assert.ok(acme);
      assert.deepEqual(
        acme.events.map((e) => e.seq),
        [1, 2],
      );
      assert.equal(acme.events[0]!.prev_hash, GENESIS_HASH);
      assert.equal(acme.events[1]!.prev_hash, acme.events[0]!.hash);
      assert.match(acme.events[0]!.hash, /^[0-9a-f]{64}$/);
      assert.notEqual(acme.events[0]!.hash, acme.events[1]!.hash);
      assert.deepEqual(
        acme.events.map((e) => e.event),
        [events[0], events[2]],
      );
      assert.ok(!Number.isNaN(Date.parse(acme.events[0]!.received_at)));

      const [globex] = await store.getDecision('x', { tenant: 'globex' });
      assert.deepEqual(
        globex!.events.map((e) => [e.seq, e.prev_hash]),
        [[1, GENESIS_HASH]],
      );
    });

    withStore('a decision id held by several tenants is found in each without a tenant, in tenant order', async (store) => {
      // Tenants on both sides of the one holding nothing with that id, so a lookup that stopped
      // at the first tenant, or skipped one, would show.
      await store.append([
        makeEvent('decision.start', {}, { decision_id: 'shared', tenant_id: 'zeta' }),
        makeEvent('decision.start', {}, { decision_id: 'other', tenant_id: 'beta' }),
        makeEvent('decision.start', {}, { decision_id: 'shared', tenant_id: 'alpha' }),
        makeEvent('decision.start', {}, { decision_id: 'shared', tenant_id: 'gamma' }),
      ]);
      const found = await store.getDecision('shared');
      assert.deepEqual(
        found.map((d) => [d.record.tenant, d.record.id, d.events.length]),
        [
          ['alpha', 'shared', 1],
          ['gamma', 'shared', 1],
          ['zeta', 'shared', 1],
        ],
      );
      assert.deepEqual(
        (await store.getDecision('other')).map((d) => d.record.tenant),
        ['beta'],
      );
    });

    withStore('redelivering the same events changes nothing and counts duplicates', async (store) => {
      const events = [
        makeEvent('decision.start', {}),
        makeEvent('decision.evidence', { key: 'k', value: 1 }),
        makeEvent('decision.outcome', { status: 'approved' }),
      ];
      assert.deepEqual(await store.append(events), { appended: 3, duplicates: 0 });
      const before = await store.getDecision('dec-1');

      assert.deepEqual(await store.append(events), { appended: 0, duplicates: 3 });
      assert.deepEqual(await store.getDecision('dec-1'), before);

      const late = makeEvent('decision.evaluation', { score: 1 });
      assert.deepEqual(await store.append([events[1]!, late, late]), { appended: 1, duplicates: 2 });
      const [after] = await store.getDecision('dec-1');
      assert.equal(after!.record.event_count, 4);
      assert.deepEqual(
        after!.events.map((e) => e.seq),
        [1, 2, 3, 4],
      );
      assert.deepEqual(after!.record.evaluations, [{ score: 1 }]);
      assert.equal((await store.verifyLedger()).ok, true);
    });

    withStore('integers beyond 2^53 stay exact in the record and the ledger; evidence queries find them by exact value', async (store) => {
      const beyondSafe = 9_007_199_254_740_993n; // 2^53 + 1: a double would read 2^53
      const beyondInt64 = 2n ** 70n;
      await store.append([
        makeEvent('decision.evidence', { key: 'count', value: beyondSafe }, { decision_id: 'big' }),
        makeEvent('decision.evidence', { key: 'huge', value: beyondInt64 }, { decision_id: 'big' }),
        makeEvent('decision.evidence', { key: 'count', value: 9_007_199_254_740_992 }, { decision_id: 'near' }),
      ]);
      const [detail] = await store.getDecision('big');
      assert.deepEqual(detail!.record.evidence, { count: beyondSafe, huge: beyondInt64 });
      assert.deepEqual(detail!.events[0]!.event.payload, { key: 'count', value: beyondSafe });
      const found = await store.queryDecisions({ evidence: [{ key: 'count', value: '9007199254740993' }] });
      assert.deepEqual(
        found.decisions.map((record) => record.id),
        ['big'],
      );
      const near = await store.queryDecisions({ evidence: [{ key: 'count', value: '9007199254740992' }] });
      assert.deepEqual(
        near.decisions.map((record) => record.id),
        ['near'],
      );
      assert.equal((await store.verifyLedger()).ok, true);
    });

    withStore('values JSON changes (a Date, a Map, undefined) give the record their ledger text folds to, which verifies', async (store) => {
      // An in-process caller (the SDK's store sink) may hand over a Date where the schema has an
      // RFC 3339 string. The ledger keeps the event's JSON, the Date's ISO string, and verification
      // refolds that; the record must be folded from the same, as the HTTP sink's JSON would be.
      const start = makeEvent(
        'decision.start',
        { start_time: new Date('2025-03-01T09:59:00.000Z') },
        { decision_id: 'dated', timestamp: '2025-03-01T10:00:00.000Z' },
      );
      const observed = makeEvent(
        'decision.observed',
        { outcome: 'approved', confidence: undefined, end_time: new Date('2025-03-01T10:05:00.500Z'), factors: new Map([['a', 1]]) },
        { decision_id: 'dated', timestamp: '2025-03-01T10:01:00.000Z' },
      );
      assert.deepEqual(await store.append([start, observed]), { appended: 2, duplicates: 0 });
      const [detail] = await store.getDecision('dated');
      const record = detail!.record;
      assert.equal(record.start_time, '2025-03-01T09:59:00.000Z');
      assert.equal(record.end_time, '2025-03-01T10:05:00.500Z');
      assert.equal(record.duration_ms, 360_500);
      assert.deepEqual(record.factors, {});
      assert.deepEqual(record.flags ?? [], [], 'no value was refused');
      assert.deepEqual(detail!.events[0]!.event.payload, { start_time: '2025-03-01T09:59:00.000Z' });
      assert.ok(start.payload.start_time instanceof Date, "the caller's event is left as it was");
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 2, first_broken: null });
    });

    withStore('a lone surrogate (JSON escapes it, UTF-8 text cannot hold it) is stored as U+FFFD everywhere, and verifies', async (store) => {
      // POST /v1/events and OTLP/JSON take `"ok \ud800"`, which JSON.parse gives as a lone
      // surrogate; the database's text columns would store something else than the ledger.
      const event = makeEvent(
        'decision.observed',
        { outcome: 'ok \ud800 \udc00x \ud83d\ude00', evidence: { 'k\udbff': 'v\udfff', '\\ud800': '\\udc00' } },
        { decision_id: 'lone\ud800' },
      );
      assert.deepEqual(await store.append([event]), { appended: 1, duplicates: 0 });
      const [detail] = await store.getDecision('lone\ufffd');
      assert.equal(detail!.record.outcome, 'ok \ufffd \ufffdx \ud83d\ude00', 'a surrogate pair is kept');
      assert.deepEqual(detail!.record.evidence, { 'k\ufffd': 'v\ufffd', '\\ud800': '\\udc00' }, 'an escaped backslash is no escape');
      assert.equal(detail!.events[0]!.event.payload.outcome, 'ok \ufffd \ufffdx \ud83d\ude00');
      assert.deepEqual(
        (await store.queryDecisions({ outcome: 'ok \ufffd \ufffdx \ud83d\ude00' })).decisions.map((d) => d.id),
        ['lone\ufffd'],
      );
      assert.equal(event.payload.outcome, 'ok \ud800 \udc00x \ud83d\ude00', "the caller's event is left as it was");
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 1, first_broken: null });
    });

    withStore('a lone surrogate in a tenant or event id is stored as U+FFFD: found by it, a duplicate of it, and verifies', async (store) => {
      // The tenant and event id are the ledger's keys (chain and idempotency): each must be the
      // text the ledger's JSON holds, or a resent event would be appended twice.
      const event = makeEvent('decision.observed', { outcome: 'ok' }, { tenant_id: 'acme\ud800', event_id: 'evt\udc00-lone', decision_id: 'keyed' });
      assert.deepEqual(await store.append([event]), { appended: 1, duplicates: 0 });
      assert.deepEqual(await store.append([event]), { appended: 0, duplicates: 1 }, 'the same event again is a duplicate');
      assert.deepEqual(
        await store.append([{ ...event, tenant_id: 'acme\ufffd', event_id: 'evt\ufffd-lone' }]),
        { appended: 0, duplicates: 1 },
        'its U+FFFD spelling is the same key',
      );
      const [detail] = await store.getDecision('keyed', { tenant: 'acme\ufffd' });
      assert.equal(detail!.record.tenant, 'acme\ufffd');
      assert.equal(detail!.events[0]!.event.event_id, 'evt\ufffd-lone');
      assert.equal(detail!.events[0]!.event.tenant_id, 'acme\ufffd');
      assert.deepEqual(
        (await store.queryDecisions({ tenant: 'acme\ufffd' })).decisions.map((d) => d.id),
        ['keyed'],
      );
      assert.equal(event.tenant_id, 'acme\ud800', "the caller's event is left as it was");
      assert.deepEqual(await store.verifyLedger({ tenant: 'acme\ufffd' }), { ok: true, checked: 1, first_broken: null });
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 1, first_broken: null });
    });

    withStore('the same event id in another tenant is not a duplicate', async (store) => {
      const event = makeEvent('decision.start', {});
      await store.append([event]);
      assert.deepEqual(await store.append([{ ...event, tenant_id: 'globex' }]), { appended: 1, duplicates: 0 });
    });

    withStore('an event without an id is refused, and a failing append stores nothing', async (store) => {
      const good = makeEvent('decision.start', {});
      const withoutId = { ...makeEvent('decision.evidence', { key: 'k', value: 1 }), event_id: undefined } as unknown as DecisionEvent;
      await assert.rejects(store.append([good, withoutId]), /event_id/);
      assert.deepEqual(await store.getDecision('dec-1'), []);

      // Fails only once the first event is already written inside the transaction.
      const cyclic: Record<string, unknown> = { key: 'k' };
      cyclic.value = cyclic;
      await assert.rejects(store.append([good, makeEvent('decision.evidence', cyclic)]));
      assert.deepEqual(await store.getDecision('dec-1'), []);
      assert.deepEqual(await store.append([good]), { appended: 1, duplicates: 0 });
      assert.equal((await store.verifyLedger()).ok, true);
    });

    withStore('concurrent appends all land and keep the chain intact', async (store) => {
      const calls = Array.from({ length: 20 }, (_, call) => store.append(Array.from({ length: 5 }, (_, i) => observed(`c${call}-${i}`, i))));
      const results = await Promise.all(calls);
      assert.equal(
        results.reduce((sum, r) => sum + r.appended, 0),
        100,
      );
      const verification = await store.verifyLedger();
      assert.deepEqual(verification, { ok: true, checked: 100, first_broken: null });
    });

    withStore('getDecision: unknown id, and one id in two tenants', async (store) => {
      assert.deepEqual(await store.getDecision('nope'), []);
      await store.append([
        observed('shared', 1, { tenant_id: 'globex' }, { outcome: 'denied' }),
        observed('shared', 2, { tenant_id: 'acme' }, { outcome: 'approved' }),
      ]);
      const both = await store.getDecision('shared');
      assert.deepEqual(
        both.map((d) => [d.record.tenant, d.record.outcome]),
        [
          ['acme', 'approved'],
          ['globex', 'denied'],
        ],
      );
      assert.deepEqual(
        both.map((d) => d.events.map((e) => e.event.tenant_id)),
        [['acme'], ['globex']],
      );
      const scoped = await store.getDecision('shared', { tenant: 'globex' });
      assert.deepEqual(
        scoped.map((d) => d.record.outcome),
        ['denied'],
      );
      assert.deepEqual(await store.getDecision('shared', { tenant: 'initech' }), []);
    });

    withStore('queries list newest first by start time, then id', async (store) => {
      await store.append([
        observed('m', 5),
        observed('z', 1),
        observed('a', 5),
        observed('b', 9),
        // Starts earliest although its first event arrives last.
        makeEvent('decision.observed', { start_time: '2025-03-01T09:00:00.000Z' }, { decision_id: 'early', timestamp: '2025-03-01T11:00:00.000Z' }),
      ]);
      assert.deepEqual(await allIds(store, {}), ['b', 'm', 'a', 'z', 'early']);
    });

    withStore('filters: tenant, type with and without suffix, version, outcome', async (store) => {
      await store.append([
        observed('r2', 1, { decision_type: 'refund.approve.v2' }, { outcome: 'approved' }),
        observed('r3', 2, { decision_type: 'refund.approve.v3' }, { outcome: 'denied' }),
        observed('r0', 3, { decision_type: 'refund.approve' }, { outcome: 'approved' }),
        observed('k1', 4, { decision_type: 'kyc.check.v2' }, { outcome: 'approved' }),
        observed('g1', 5, { decision_type: 'refund.approve.v2', tenant_id: 'globex' }, { outcome: 'approved' }),
        observed('x1', 6, { decision_type: 'kyc.check.v2', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }, { outcome: 'approved' }),
      ]);
      assert.deepEqual(await allIds(store, { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736' }), ['x1'], 'trace id filter, case-insensitive');
      assert.deepEqual(await allIds(store, { trace_id: '0af7651916cd43dd8448eb211c80319c', tenant: 'acme' }), ['k1', 'r0', 'r3', 'r2']);
      assert.deepEqual(await allIds(store, { tenant: 'acme' }), ['x1', 'k1', 'r0', 'r3', 'r2']);
      assert.deepEqual(await allIds(store, { tenant: 'globex' }), ['g1']);
      assert.deepEqual(await allIds(store, { type: 'refund.approve' }), ['g1', 'r0', 'r3', 'r2']);
      assert.deepEqual(await allIds(store, { type: 'refund.approve.v2' }), ['g1', 'r2']);
      assert.deepEqual(await allIds(store, { type: 'refund.approve', version: 'v3' }), ['r3']);
      assert.deepEqual(await allIds(store, { type: 'refund.approve.v2', version: 'v3' }), []);
      assert.deepEqual(await allIds(store, { version: 'v2' }), ['x1', 'g1', 'k1', 'r2']);
      assert.deepEqual(await allIds(store, { outcome: 'approved' }), ['x1', 'g1', 'k1', 'r0', 'r2']);
      assert.deepEqual(await allIds(store, { outcome: 'approved', type: 'refund.approve', tenant: 'acme' }), ['r0', 'r2']);
      assert.deepEqual(await allIds(store, { type: 'nothing.here' }), []);
      assert.deepEqual(await allIds(store, { tenant: '', outcome: '' }), ['x1', 'g1', 'k1', 'r0', 'r3', 'r2'], 'empty filters do not filter');
    });

    withStore('time range: since inclusive, until exclusive, on the start time', async (store) => {
      await store.append([observed('t1', 1), observed('t2', 2), observed('t3', 3), observed('t4', 4)]);
      assert.deepEqual(await allIds(store, { since: '2025-03-01T10:02:00Z' }), ['t4', 't3', 't2']);
      assert.deepEqual(await allIds(store, { until: '2025-03-01T10:03:00Z' }), ['t2', 't1']);
      assert.deepEqual(await allIds(store, { since: '2025-03-01T10:02:00Z', until: '2025-03-01T10:04:00Z' }), ['t3', 't2']);
      assert.deepEqual(await allIds(store, { since: '2025-03-01T12:01:30+02:00' }), ['t4', 't3', 't2'], 'offsets are honoured');
      assert.deepEqual(await allIds(store, { since: '2025-03-01T10:02:00.000001Z' }), ['t4', 't3'], 'microseconds count');
    });

    withStore('pagination walks every record once, across ties in time and tenants', async (store) => {
      // Records share start times, and the same id at the same time exists in three tenants.
      const events: DecisionEvent[] = [];
      for (const tenant_id of ['acme', 'globex', 'initech']) {
        for (let j = 0; j < 8; j++) events.push(observed(`d${j}`, Math.floor(j / 3), { tenant_id }));
      }
      await store.append(events);
      const everything = (await store.queryDecisions({ limit: 1000 })).decisions.map((d) => `${d.tenant}/${d.id}`);
      assert.equal(everything.length, 24);
      assert.equal(new Set(everything).size, 24);
      assert.deepEqual(everything.slice(0, 4), ['initech/d7', 'globex/d7', 'acme/d7', 'initech/d6']);

      const walked: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await store.queryDecisions({ limit: 5, ...(cursor === undefined ? {} : { cursor }) });
        pageSizes.push(page.decisions.length);
        walked.push(...page.decisions.map((d) => `${d.tenant}/${d.id}`));
        if (page.next_cursor === null) break;
        assert.equal(typeof page.next_cursor, 'string');
        cursor = page.next_cursor;
      }
      assert.deepEqual(pageSizes, [5, 5, 5, 5, 4]);
      assert.deepEqual(walked, everything);
    });

    withStore('pagination keeps the filters and the last full page has no cursor', async (store) => {
      await store.append(Array.from({ length: 6 }, (_, i) => observed(`p${i}`, i, { tenant_id: i % 2 === 0 ? 'acme' : 'globex' })));
      const first = await store.queryDecisions({ tenant: 'acme', limit: 2 });
      assert.deepEqual(
        first.decisions.map((d) => d.id),
        ['p4', 'p2'],
      );
      assert.ok(first.next_cursor);
      const second = await store.queryDecisions({ tenant: 'acme', limit: 2, cursor: first.next_cursor });
      assert.deepEqual(
        second.decisions.map((d) => d.id),
        ['p0'],
      );
      assert.equal(second.next_cursor, null);
      const exact = await store.queryDecisions({ tenant: 'globex', limit: 3 });
      assert.equal(exact.decisions.length, 3);
      assert.equal(exact.next_cursor, null);
    });

    withStore('limit defaults to 50 and is capped at 1000', async (store) => {
      await store.append(Array.from({ length: 1003 }, (_, i) => observed(`l${i}`, i % 60)));
      const byDefault = await store.queryDecisions({});
      assert.equal(byDefault.decisions.length, 50);
      assert.notEqual(byDefault.next_cursor, null);
      const capped = await store.queryDecisions({ limit: 5000 });
      assert.equal(capped.decisions.length, 1000);
      const rest = await store.queryDecisions({ limit: 5000, cursor: capped.next_cursor! });
      assert.equal(rest.decisions.length, 3);
      assert.equal(rest.next_cursor, null);
    });

    withStore('malformed query arguments are rejected', async (store) => {
      await assert.rejects(store.queryDecisions({ cursor: 'not a cursor' }), InvalidQueryError);
      await assert.rejects(store.queryDecisions({ since: 'yesterday' }), InvalidQueryError);
      await assert.rejects(store.queryDecisions({ until: '2025-03-01T10:00:00' }), InvalidQueryError);
      await assert.rejects(store.queryDecisions({ limit: 0 }), InvalidQueryError);
      await assert.rejects(store.queryDecisions({ limit: 2.5 }), InvalidQueryError);
    });

    withStore('verification passes on an untouched ledger', async (store) => {
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 0, first_broken: null });
      await store.append([
        observed('a', 1),
        observed('b', 2, { tenant_id: 'globex' }),
        makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'a' }),
      ]);
      await store.append([makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'b', tenant_id: 'globex' })]);
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 4, first_broken: null });
    });

    withStore('an event edited behind the store is reported at exactly that row', async (store, database) => {
      await store.append([
        makeEvent('decision.start', {}, { decision_id: 'v', tenant_id: 'globex' }),
        makeEvent('decision.start', {}, { decision_id: 'v' }),
        makeEvent('decision.evidence', { key: 'order_total', value: 120 }, { decision_id: 'v' }),
        makeEvent('decision.outcome', { status: 'approved' }, { decision_id: 'v' }),
      ]);
      const [detail] = await store.getDecision('v', { tenant: 'acme' });
      const edited = detail!.events[1]!;
      const row = await database.rewriteLedgerEvent('acme', 2, (event) => ({
        ...event,
        payload: { key: 'order_total', value: 12 },
      }));
      const verification = await store.verifyLedger();
      assert.equal(verification.ok, false);
      assert.deepEqual(verification.first_broken, {
        tenant_id: 'acme',
        seq: 2,
        event_id: edited.event.event_id,
        row,
        reason: 'hash mismatch',
      });
    });

    withStore('a row deleted from the middle of a chain is detected', async (store, database) => {
      await store.append([observed('a', 1), observed('b', 2), observed('c', 3)]);
      await database.deleteLedgerRow('acme', 2);
      const verification = await store.verifyLedger();
      assert.equal(verification.ok, false);
      assert.equal(verification.first_broken?.tenant_id, 'acme');
      assert.equal(verification.first_broken?.seq, 3);
      assert.match(verification.first_broken!.reason, /seq gap/);
    });

    withStore('a row deleted from the start or the end of a chain is detected', async (store, database) => {
      await store.append([observed('a', 1), observed('b', 2), observed('c', 3, { tenant_id: 'globex' }), observed('d', 4, { tenant_id: 'globex' })]);
      await database.deleteLedgerRow('globex', 2);
      const tail = await store.verifyLedger();
      assert.equal(tail.ok, false);
      assert.equal(tail.first_broken?.tenant_id, 'globex');
      assert.equal(tail.first_broken?.seq, 2);
      assert.match(tail.first_broken!.reason, /missing/);

      await database.deleteLedgerRow('acme', 1);
      const head = await store.verifyLedger();
      assert.equal(head.first_broken?.tenant_id, 'acme');
      assert.equal(head.first_broken?.seq, 2);
      assert.match(head.first_broken!.reason, /seq gap/);
    });

    test('reopening applies no migration twice and keeps the data', async () => {
      const database = await createDatabase();
      try {
        const first = await database.open();
        await first.append([observed('kept', 1), makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'kept' })]);
        await first.close();
        const migrations = await database.appliedMigrations();
        assert.ok(migrations.length > 0);

        const second = await database.open();
        try {
          assert.deepEqual(await database.appliedMigrations(), migrations);
          const [detail] = await second.getDecision('kept');
          assert.equal(detail?.record.event_count, 2);
          // The chain continues where it stopped.
          await second.append([makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'kept' })]);
          const [after] = await second.getDecision('kept');
          assert.deepEqual(
            after!.events.map((e) => e.seq),
            [1, 2, 3],
          );
          assert.equal(after!.events[2]!.prev_hash, after!.events[1]!.hash);
          assert.deepEqual(await second.verifyLedger(), { ok: true, checked: 3, first_broken: null });
        } finally {
          await second.close();
        }
      } finally {
        await database.dispose();
      }
    });
  });
}
