import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { InvalidQueryError, openStore, SqliteDecisionStore, WorkerDecisionStore, type DecisionStore } from '../src/index.js';
import { sqliteTestDatabase, tempDir, withConnection } from './sqlite-test-database.js';
import { makeEvent, runStoreSuite } from './store-suite.js';

runStoreSuite('WorkerDecisionStore (file)', async () => sqliteTestDatabase((file) => WorkerDecisionStore.open(file)));

/** Runs `body` with a worker store on a fresh file, and removes everything afterwards. */
async function withWorkerStore(body: (store: WorkerDecisionStore, file: string, worker: Worker) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  let worker: Worker | undefined;
  const store = await WorkerDecisionStore.open(file, { onWorkerReady: (w) => (worker = w) });
  try {
    await body(store, file, worker!);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('openStore puts a SQLite file in a worker unless asked to stay inline; :memory: stays inline', async () => {
  const dir = tempDir();
  const opened: DecisionStore[] = [];
  try {
    const byDefault = await openStore(`sqlite:${join(dir, 'a.db')}`);
    opened.push(byDefault);
    assert.ok(byDefault instanceof WorkerDecisionStore);
    const inline = await openStore(`sqlite:${join(dir, 'b.db')}`, { thread: 'inline' });
    opened.push(inline);
    assert.ok(inline instanceof SqliteDecisionStore);
    const memory = await openStore('sqlite::memory:');
    opened.push(memory);
    assert.ok(memory instanceof SqliteDecisionStore);
  } finally {
    await Promise.all(opened.map((store) => store.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('appends from many concurrent callers commit in one worker transaction, each with its own result', async () => {
  await withWorkerStore(async (store) => {
    const seen = makeEvent('decision.start', {}, { decision_id: 'seen' });
    await store.append([seen]);
    const before = store.commits;
    assert.ok(before >= 1, 'the first append was counted');

    // Call i appends i + 1 new events; every third call also redelivers `seen`.
    const calls = Array.from({ length: 40 }, (_, i) => {
      const events = Array.from({ length: i + 1 }, (_, j) => makeEvent('decision.start', {}, { decision_id: `c${i}-${j}` }));
      return store.append(i % 3 === 0 ? [...events, seen] : events);
    });
    const results = await Promise.all(calls);
    assert.deepEqual(
      results,
      Array.from({ length: 40 }, (_, i) => ({ appended: i + 1, duplicates: i % 3 === 0 ? 1 : 0 })),
    );
    assert.equal(store.commits - before, 1, 'forty calls in one turn, one commit');
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 1 + (40 * 41) / 2, first_broken: null });
  });
});

test("each turn's appends go to the worker at once, even while groups are being committed; those waiting there commit together", async () => {
  await withWorkerStore(async (store, _file, worker) => {
    const posted: number[] = [];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (message: { op: string; calls?: unknown[] }) => {
      if (message.op === 'append') posted.push(message.calls!.length);
      post(message);
    };
    // Big enough that its commit is still running while the next three calls are made.
    const bigGroup = (name: string) => Array.from({ length: 3000 }, (_, i) => makeEvent('decision.start', {}, { decision_id: `${name}-${i}` }));
    let bigCommitted = false;
    const first = store.append(bigGroup('first')).then((result) => {
      bigCommitted = true;
      return result;
    });
    await new Promise(setImmediate);
    const second = store.append(bigGroup('second'));
    await new Promise(setImmediate);
    const third = store.append([makeEvent('decision.start', {}, { decision_id: 'third' })]);
    await new Promise(setImmediate);
    const fourth = store.append([makeEvent('decision.start', {}, { decision_id: 'fourth' })]);
    assert.equal(bigCommitted, false, 'premise: the first group is still being committed');
    await new Promise(setImmediate);
    assert.deepEqual(posted, [1, 1, 1, 1], 'no call waited here for a commit to end');

    assert.deepEqual(await Promise.all([first, second, third, fourth]), [
      { appended: 3000, duplicates: 0 },
      { appended: 3000, duplicates: 0 },
      { appended: 1, duplicates: 0 },
      { appended: 1, duplicates: 0 },
    ]);
    // Holding calls here while two groups were in the worker posted [1, 1, 2]. Messages that
    // wait in the worker together may share a transaction.
    assert.ok(store.commits >= 2 && store.commits <= 4, `${store.commits} commits`);
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 6002, first_broken: null });
  });
});

test('a call that fails fails alone; a function in a payload is dropped, as the ledger text drops it, not refused by structured clone', async () => {
  await withWorkerStore(async (store) => {
    const cyclic: Record<string, unknown> = { key: 'loop' };
    cyclic.value = cyclic;
    const settled = await Promise.allSettled([
      store.append([makeEvent('decision.start', {}, { decision_id: 'ok-1' })]),
      store.append([makeEvent('decision.evidence', cyclic, { decision_id: 'cyclic' })]),
      store.append([makeEvent('decision.evidence', { key: 'fn', value: () => 1 }, { decision_id: 'uncopyable' })]),
      store.append([makeEvent('decision.start', {}, { decision_id: 'ok-2' })]),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    const cyclicError = (settled[1] as PromiseRejectedResult).reason;
    assert.ok(cyclicError instanceof RangeError, 'the RangeError keeps its class');
    for (const id of ['ok-1', 'ok-2']) assert.equal((await store.getDecision(id)).length, 1);
    assert.deepEqual(await store.getDecision('cyclic'), []);
    // Events go to the worker as their ledger JSON (ledger-events.ts), as an inline store folds them.
    assert.deepEqual((await store.getDecision('uncopyable'))[0]!.record.evidence, { fn: null });
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 3, first_broken: null });
  });
});

test('events go to the worker as their canonical JSON alone, whatever values they hold; the worker stores what an inline store stores, and both verify', async () => {
  /* eslint-disable no-sparse-arrays -- a hole is one of the values JSON does not read back as itself */
  // From `plain` to `safeLong` the JSON reads back as the payload; the others it changes.
  const payloads: Record<string, Record<string, unknown>> = {
    plain: { outcome: 'approved', confidence: 0.55, evidence: { b: 1, a: 'x', n: [1.5, -2, 1e21] }, factors: { z: true, y: null } },
    unicode: { outcome: 'ok \ud800 \u2028 é', evidence: { ключ: '值', 'a"b': '\u0000' } },
    safeLong: { evidence: { id: 1234567890123456, tail: 1234567890123456.5 } },
    date: { start_time: new Date('2025-03-01T09:59:00.000Z'), evidence: { at: new Date('2025-03-01T09:58:00.000Z') } },
    undefinedValue: { outcome: undefined, evidence: { gone: undefined, kept: 1 } },
    unsafeDouble: { confidence: 2 ** 60, evidence: { big: 2 ** 60 } },
    bigint: { evidence: { big: 12345678901234567890n, small: 5n } },
    nonFinite: { confidence: Number.NaN, evidence: { inf: Infinity } },
    negativeZero: { confidence: -0, evidence: { z: -0 } },
    typedArray: { evidence: { bytes: new Uint8Array([1, 2]) } },
    map: { evidence: { m: new Map([['a', 1]]) } },
    nullPrototype: { evidence: Object.assign(Object.create(null) as object, { a: 1 }) },
    hole: { alternatives: ['a', , 'c'] },
    func: { evidence: { f: () => 1, kept: 1 } },
  };
  /* eslint-enable no-sparse-arrays */
  const callsOf = () =>
    Object.entries(payloads).map(([id, payload]) => [
      makeEvent('decision.start', {}, { decision_id: id, event_id: `${id}-start` }),
      makeEvent('decision.observed', payload, { decision_id: id, event_id: `${id}-observed`, timestamp: '2025-03-01T10:01:00.000Z' }),
    ]);
  const inline = new SqliteDecisionStore(':memory:');
  try {
    await Promise.all(callsOf().map((events) => inline.append(events)));
    await withWorkerStore(async (store, _file, worker) => {
      const sent: Array<{ eventJson?: string[]; events?: unknown[] }> = [];
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (message: { op: string; calls?: Array<{ eventJson?: string[]; events?: unknown[] }> }) => {
        if (message.op === 'append') sent.push(...message.calls!);
        post(message);
      };
      await Promise.all(callsOf().map((events) => store.append(events)));
      assert.deepEqual(
        sent.map((call) => call.events === undefined && call.eventJson?.length === 2),
        Object.keys(payloads).map(() => true),
        'every call went as JSON alone',
      );
      for (const id of Object.keys(payloads)) {
        const [fromWorker] = await store.getDecision(id);
        const [fromInline] = await inline.getDecision(id);
        assert.deepStrictEqual(fromWorker!.record, fromInline!.record, `the record of ${id}`);
        assert.deepStrictEqual(
          fromWorker!.events.map((entry) => entry.event),
          fromInline!.events.map((entry) => entry.event),
          `the ledger events of ${id}`,
        );
      }
      // Both fold the events as their ledger text reads back (a Date in start_time as its ISO
      // string), which verification refolds.
      const checked = 2 * Object.keys(payloads).length;
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked, first_broken: null });
      assert.deepEqual(await inline.verifyLedger(), { ok: true, checked, first_broken: null });
      assert.equal((await store.getDecision('date'))[0]!.record.start_time, '2025-03-01T09:59:00.000Z');
    });
  } finally {
    await inline.close();
  }
});

test('errors keep the class callers branch on; other errors keep message and code', async () => {
  await withWorkerStore(async (store, file) => {
    await assert.rejects(store.queryDecisions({ cursor: 'not a cursor' }), (error: unknown) => {
      assert.ok(error instanceof InvalidQueryError);
      assert.equal(error.name, 'InvalidQueryError');
      assert.match(error.message, /cursor/);
      return true;
    });
    await assert.rejects(store.queryDecisions({ limit: 0 }), InvalidQueryError);
    const withoutId = { ...makeEvent('decision.start', {}), event_id: '' };
    await assert.rejects(store.append([withoutId]), TypeError);

    withConnection(file, (db) => db.exec('DROP TABLE decisions'));
    await assert.rejects(store.append([makeEvent('decision.start', {}, { decision_id: 'gone' })]), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(!(error instanceof InvalidQueryError));
      assert.match(error.message, /no such table: decisions/);
      assert.equal((error as { code?: string }).code, 'SQLITE_ERROR');
      return true;
    });
  });
});

test('a worker that dies rejects pending and later calls instead of hanging', { timeout: 10_000 }, async () => {
  await withWorkerStore(async (store, _file, worker) => {
    await store.append([makeEvent('decision.start', {}, { decision_id: 'before' })]);
    // Sent while the worker is dying, so they are never answered.
    const killed = worker.terminate();
    const pending = [store.append([makeEvent('decision.start', {}, { decision_id: 'during' })]), store.queryDecisions({}), store.verifyLedger()];
    await Promise.all(pending.map((call) => assert.rejects(call, /decision store worker stopped \(exit code 1\)/)));
    await killed;
    await assert.rejects(store.append([makeEvent('decision.start', {}, { decision_id: 'after' })]), /worker stopped/);
    await assert.rejects(store.getDecision('before'), /worker stopped/);
    // close() of a dead store has nothing to do and does not hang.
    await store.close();
  });
});

test('close sends the appends still queued and waits for them before closing the database', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  try {
    const store = await WorkerDecisionStore.open(file);
    const appended = store.append([makeEvent('decision.start', {}, { decision_id: 'last-words' })]);
    await store.close();
    assert.deepEqual(await appended, { appended: 1, duplicates: 0 });
    await assert.rejects(store.append([makeEvent('decision.start', {})]), /store is closed/);
    await assert.rejects(store.queryDecisions({}), /store is closed/);
    await store.close();
    withConnection(file, (db) => assert.equal(db.prepare("SELECT COUNT(*) FROM decisions WHERE id = 'last-words'").pluck().get(), 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database the worker cannot open rejects open() with the reason', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'decisions.db');
    await new SqliteDecisionStore(file).close();
    withConnection(file, (db) => db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'future', 'x'));
    await assert.rejects(WorkerDecisionStore.open(file), /schema version 999 is newer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an idle worker store does not keep the process alive, a pending call does', async () => {
  const dir = tempDir();
  try {
    const script = join(dir, 'left-open.mjs');
    writeFileSync(
      script,
      `
      import { WorkerDecisionStore } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
      const store = await WorkerDecisionStore.open(${JSON.stringify(join(dir, 'left-open.db'))});
      const result = await store.append([{ schema_version: '1.0', event_id: 'e', event_type: 'decision.start',
        decision_id: 'd', decision_type: null, parent_decision_id: null, trace_id: null, span_id: null, tenant_id: 't',
        environment: null, timestamp: '2025-03-01T10:00:00.000Z', actor: null, payload: {}, causal_links: [], source: 'api.events' }]);
      console.log(JSON.stringify(result));
      // No close(): the process must still end.
    `,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, script], { timeout: 20_000 });
    assert.deepEqual(JSON.parse(stdout), { appended: 1, duplicates: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'the store worker and the WAL checkpointer name their threads (dt-store, dt-checkpoint), so their CPU time can be read per thread',
  { skip: process.platform !== 'linux' ? 'thread names are read from /proc (Linux)' : false },
  async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const names = () =>
      readdirSync('/proc/self/task').map((tid) => {
        try {
          return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
        } catch {
          return '';
        }
      });
    await withWorkerStore(async (store) => {
      // The checkpointer thread starts with the first append.
      await store.append([makeEvent('decision.start', {}, { decision_id: 'named' })]);
      let seen = names();
      for (let i = 0; i < 50 && !seen.includes('dt-checkpoint'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = names();
      }
      assert.ok(seen.includes('dt-store'), `threads: ${seen.join(', ')}`);
      assert.ok(seen.includes('dt-checkpoint'), `threads: ${seen.join(', ')}`);
    });
  },
);

test('a store closed and reopened while another thread appends to its file loses no acknowledged event and meets no SQLITE_BUSY', async () => {
  // Session 8 saw SQLITE_BUSY once on BEGIN IMMEDIATE while a store was closed and reopened under
  // load. Every connection waits for the write lock (busy_timeout); the checkpointer threads of
  // both stores run their rounds meanwhile. Only "store is closed" may refuse a call, and every
  // acknowledged event must be in the ledger afterwards.
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  const writer = await WorkerDecisionStore.open(file);
  let reopened: SqliteDecisionStore | null = new SqliteDecisionStore(file);
  let acknowledged = 0;
  let reopens = 0;
  const unexpected: string[] = [];
  let n = 0;
  const events = (tenant: string) =>
    [1, 2].map(() => {
      n += 1;
      return makeEvent('decision.observed', { outcome: 'approved', note: 'x'.repeat(500) }, { tenant_id: tenant, decision_id: `d-${n}`, event_id: `e-${n}` });
    });
  const until = Date.now() + 2_000;
  const pump = async (store: () => DecisionStore | null, tenant: string) => {
    while (Date.now() < until) {
      const target = store();
      if (target === null) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      await Promise.all(
        Array.from({ length: 8 }, () =>
          target.append(events(tenant)).then(
            (result) => (acknowledged += result.appended),
            (error: Error) => {
              if (!/store is closed/.test(error.message)) unexpected.push(`${(error as { code?: string }).code}: ${error.message}`);
            },
          ),
        ),
      );
    }
  };
  const cycle = async () => {
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 40));
      const closing = reopened!;
      reopened = null;
      await closing.close();
      reopened = new SqliteDecisionStore(file);
      reopens += 1;
    }
  };
  try {
    await Promise.all([pump(() => writer, 'w'), pump(() => reopened, 'r'), cycle()]);
    assert.deepEqual(unexpected, []);
    assert.ok(reopens >= 3, `reopened ${reopens} times`);
    const verification = await writer.verifyLedger();
    assert.deepEqual(verification, { ok: true, checked: acknowledged, first_broken: null });
  } finally {
    await writer.close();
    await reopened?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
