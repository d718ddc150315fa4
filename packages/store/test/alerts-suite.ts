import assert from 'node:assert/strict';
import { InvalidQueryError, type DecisionAlert, type DecisionStore } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';

type WithStore = (title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>) => void;

/** An alert raised at minute `minute` of 2025-03-01T10:00Z. */
export function makeAlert(id: string, minute: number, overrides: Partial<DecisionAlert> = {}): DecisionAlert {
  return {
    id,
    tenant: 'acme',
    at: new Date(Date.UTC(2025, 2, 1, 10, minute)).toISOString(),
    type: 'refund.approve',
    version: 'v2',
    kind: 'outcome_rate',
    subject: 'approved',
    direction: 'up',
    message: 'decision anomaly: rate of outcome "approved" of refund.approve v2 went up',
    baseline: { version: 'v2', count: 500, rate: 0.6, mean: null },
    current: { version: null, count: 120, rate: 0.8, mean: null },
    p_value: 0.00012,
    example_decision_ids: ['dec-1', 'dec-2'],
    statistic: null,
    degrees_of_freedom: null,
    outcome_counts: null,
    ...overrides,
  };
}

/** Anomaly alerts (alert.ts): stored once per (tenant, id), listed newest first with filters and cursors. */
export function registerAlertTests(withStore: WithStore): void {
  withStore('alerts: stored with their evidence, a redelivered alert changes nothing, read back by id', async (store) => {
    const alert = makeAlert('al-1', 1);
    assert.deepEqual(await store.appendAlerts([alert]), { appended: 1, duplicates: 0 });
    assert.deepEqual(await store.appendAlerts([alert, makeAlert('al-2', 2)]), { appended: 1, duplicates: 1 });
    assert.deepEqual(await store.getAlert('al-1'), [alert]);
    assert.deepEqual(await store.getAlert('al-1', { tenant: 'other' }), []);
    assert.deepEqual(await store.getAlert('nope'), []);
    const page = await store.queryAlerts({});
    assert.deepEqual(
      page.alerts.map((a) => a.id),
      ['al-2', 'al-1'],
    );
    assert.equal(page.next_cursor, null);
  });

  withStore('alerts: one id in two tenants is two alerts; the tenant filter keeps them apart', async (store) => {
    await store.appendAlerts([makeAlert('al-1', 1), makeAlert('al-1', 2, { tenant: 'globex', type: 'loan.grant' })]);
    const both = await store.getAlert('al-1');
    assert.deepEqual(
      both.map((a) => a.tenant),
      ['acme', 'globex'],
    );
    assert.deepEqual(
      (await store.getAlert('al-1', { tenant: 'globex' })).map((a) => a.type),
      ['loan.grant'],
    );
    assert.deepEqual(
      (await store.queryAlerts({ tenant: 'acme' })).alerts.map((a) => a.tenant),
      ['acme'],
    );
  });

  withStore('alerts: filters by type (with or without version suffix), version, kind, since and until', async (store) => {
    await store.appendAlerts([
      makeAlert('a', 1),
      makeAlert('b', 2, { version: 'v3', baseline: { version: 'v2', count: 500, rate: 0.6, mean: null } }),
      makeAlert('c', 3, {
        kind: 'confidence_mean',
        subject: null,
        direction: 'down',
        baseline: { version: 'v2', count: 500, rate: null, mean: 0.9 },
        current: { version: null, count: 80, rate: null, mean: 0.7 },
        p_value: null,
      }),
      makeAlert('d', 4, { type: 'loan.grant', version: null }),
    ]);
    const ids = async (query: Parameters<DecisionStore['queryAlerts']>[0]) => (await store.queryAlerts(query)).alerts.map((a) => a.id);
    assert.deepEqual(await ids({}), ['d', 'c', 'b', 'a']);
    assert.deepEqual(await ids({ type: 'refund.approve' }), ['c', 'b', 'a']);
    assert.deepEqual(await ids({ type: 'refund.approve.v3' }), ['b']);
    assert.deepEqual(await ids({ version: 'v2' }), ['c', 'a']);
    assert.deepEqual(await ids({ kind: 'confidence_mean' }), ['c']);
    assert.deepEqual(await ids({ since: '2025-03-01T10:02:00Z', until: '2025-03-01T10:04:00Z' }), ['c', 'b']);
    assert.deepEqual(await ids({ type: '', kind: '' }), ['d', 'c', 'b', 'a']);
    const mix = makeAlert('e', 5, {
      kind: 'outcome_mix',
      subject: 'escalated',
      baseline: { version: 'v2', count: 400, rate: null, mean: null },
      current: { version: null, count: 200, rate: null, mean: null },
      statistic: 23.5,
      degrees_of_freedom: 2,
      outcome_counts: [
        { outcome: 'approved', baseline: 356, current: 178 },
        { outcome: 'denied', baseline: 32, current: 6 },
        { outcome: 'escalated', baseline: 12, current: 16 },
      ],
    });
    await store.appendAlerts([mix]);
    assert.deepEqual(await store.getAlert('e'), [mix]);
    const confidence = (await store.getAlert('c'))[0]!;
    assert.deepEqual([confidence.subject, confidence.p_value, confidence.current.mean], [null, null, 0.7]);
  });

  withStore('alerts: cursor paging walks every alert once, newest first, ties broken by id', async (store) => {
    const alerts = Array.from({ length: 7 }, (_, i) => makeAlert(`al-${i}`, i < 4 ? 3 : i));
    await store.appendAlerts(alerts);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.queryAlerts({ limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      assert.ok(page.alerts.length <= 3);
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    assert.deepEqual(seen, ['al-6', 'al-5', 'al-4', 'al-3', 'al-2', 'al-1', 'al-0']);
  });

  withStore('alerts: a malformed query is an InvalidQueryError, a malformed alert a TypeError storing nothing', async (store) => {
    await assert.rejects(store.queryAlerts({ cursor: 'garbage' }), InvalidQueryError);
    await assert.rejects(store.queryAlerts({ since: 'yesterday' }), (error: Error) => error instanceof InvalidQueryError && /since/.test(error.message));
    await assert.rejects(store.queryAlerts({ limit: 0 }), InvalidQueryError);
    await assert.rejects(store.appendAlerts([makeAlert('ok', 1), makeAlert('bad', 2, { at: 'soon' })]), TypeError);
    assert.deepEqual((await store.queryAlerts({})).alerts, []);
  });

  withStore('alerts: kept when the store is reopened', async (store, database) => {
    await store.appendAlerts([makeAlert('al-1', 1)]);
    await store.close();
    const reopened = await database.open();
    try {
      assert.deepEqual(
        (await reopened.queryAlerts({})).alerts.map((a) => a.id),
        ['al-1'],
      );
      assert.deepEqual(await reopened.appendAlerts([makeAlert('al-1', 1)]), { appended: 0, duplicates: 1 });
    } finally {
      await reopened.close();
    }
  });
}
