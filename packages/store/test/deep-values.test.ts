import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_NESTING_DEPTH } from '@decision-trace/model';
import { SqliteDecisionStore, WorkerDecisionStore } from '../src/index.js';
import { STORED_JSON_NESTING } from '../src/stored-json.js';
import { tempDir, withConnection } from './sqlite-test-database.js';
import { makeEvent } from './store-suite.js';

/** Issue 17, defect 1: a value a few thousand levels deep must never wedge the store. */

const DEEP = 2_000;
/** A read that does not settle within this long is the hang of the issue. */
const HANG_MS = 10_000;

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
}

/** The same value as JSON text, built without recursion (JSON.stringify would overflow far deeper). */
function nestedJson(levels: number): string {
  return '{"k":'.repeat(levels) + '"leaf"' + '}'.repeat(levels);
}

function settlesInTime<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms: ${what}`)), HANG_MS);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

async function withFile(body: (file: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  try {
    await body(join(dir, 'decisions.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a payload nested deeper than the limit is refused at append, by the worker store and the inline one', async () => {
  await withFile(async (file) => {
    for (const store of [await WorkerDecisionStore.open(file), new SqliteDecisionStore(`${file}-inline`)]) {
      try {
        await assert.rejects(store.append([makeEvent('decision.start', { factors: nested(DEEP) }, { decision_id: 'deep' })]), (error: Error) => {
          assert.equal(error.name, 'RangeError');
          assert.match(error.message, new RegExp(`nest deeper than ${MAX_NESTING_DEPTH} levels`));
          return true;
        });
        // At the limit is fine.
        const atLimit = await store.append([makeEvent('decision.start', { factors: nested(MAX_NESTING_DEPTH) }, { decision_id: 'at-limit' })]);
        assert.equal(atLimit.appended, 1);
        const [detail] = await store.getDecision('at-limit');
        assert.deepEqual(detail!.record.factors, nested(MAX_NESTING_DEPTH));
      } finally {
        await store.close();
      }
    }
  });
});

test('a deep value already in an old database is read back as JSON text, flagged, by every read', async () => {
  await withFile(async (file) => {
    let store = await WorkerDecisionStore.open(file);
    const start = makeEvent('decision.start', { factors: { a: 1 } }, { decision_id: 'old-deep' });
    await store.append([start]);
    await store.close();
    // As a collector without the limit would have written it.
    withConnection(file, (db) => {
      const row = db.prepare('SELECT record FROM decisions WHERE id = ?').get('old-deep') as { record: string };
      db.prepare('UPDATE decisions SET record = ? WHERE id = ?').run(row.record.replace('{"a":1}', nestedJson(DEEP)), 'old-deep');
      const event = db.prepare("SELECT event FROM ledger WHERE json_extract(event, '$.decision_id') = ?").get('old-deep') as { event: string };
      db.prepare('UPDATE ledger SET event = ? WHERE event = ?').run(event.event.replace('{"a":1}', nestedJson(DEEP)), event.event);
    });
    store = await WorkerDecisionStore.open(file);
    try {
      const page = await settlesInTime(store.queryDecisions({}), 'queryDecisions');
      const record = page.decisions.find((r) => r.id === 'old-deep')!;
      let value: unknown = record.factors;
      let depth = 0;
      while (typeof value === 'object' && value !== null) {
        value = (value as { k: unknown }).k;
        depth++;
      }
      assert.equal(typeof value, 'string', 'the part past the limit is text');
      assert.ok(depth < STORED_JSON_NESTING, `read back ${depth} levels deep`);
      assert.ok((value as string).endsWith('"leaf"' + '}'.repeat(DEEP - depth)), 'nothing of it is lost');
      assert.ok(
        record.flags.some((f) => f.field === 'record' && /shown as their JSON text/.test(f.detail)),
        'and the record says so',
      );

      const [detail] = await settlesInTime(store.getDecision('old-deep'), 'getDecision');
      assert.equal(detail!.record.id, 'old-deep');
      assert.equal(detail!.events.length, 1);
      const [trace] = await settlesInTime(store.getTrace(start.trace_id!), 'getTrace');
      assert.ok(trace!.decisions.some((r) => r.id === 'old-deep'));
    } finally {
      await store.close();
    }
  });
});

test('an answer the worker cannot hand back fails that one call with an error, and the store keeps serving', async () => {
  await withFile(async (file) => {
    let store = await WorkerDecisionStore.open(file);
    await store.appendAudit([
      { at: '2025-03-01T10:00:00.000Z', key_name: 'k', role: 'read', tenant: null, method: 'GET', path: '/v1/decisions', query: {}, status: 200 },
    ]);
    await store.close();
    // A stored value no read path expects to be deep: only the worker's reply path stands
    // between it and a request that never settles.
    withConnection(file, (db) => db.prepare('UPDATE audit_log SET query = ?').run(`{"q":${nestedJson(DEEP)}}`));
    store = await WorkerDecisionStore.open(file);
    try {
      await assert.rejects(settlesInTime(store.queryAudit({}), 'queryAudit'), (error: Error) => {
        assert.doesNotMatch(error.message, /no answer within/);
        return true;
      });
      await store.append([makeEvent('decision.start', {}, { decision_id: 'after' })]);
      assert.equal((await settlesInTime(store.getDecision('after'), 'getDecision')).length, 1, 'later calls are answered');
    } finally {
      await store.close();
    }
  });
});
