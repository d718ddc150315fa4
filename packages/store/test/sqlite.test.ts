import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { openSqlite } from '../src/sqlite/driver-choice.js';
import { openStore, SqliteDecisionStore } from '../src/index.js';
import { migrate } from '../src/sqlite/migrate.js';
import { appendCallOf } from '../src/append-call.js';
import { ledgerCanonicalJson } from '../src/ledger-hash.js';
import { SQLITE_MIGRATIONS } from '../src/sqlite/migrations.js';
import { decisionPageSql, SQLITE_DIALECT } from '../src/bound-sql.js';
import { normalizeDecisionQuery } from '../src/decision-query.js';
import { sqliteTestDatabase, tempDir, withConnection } from './sqlite-test-database.js';
import { makeEvent, runStoreSuite } from './store-suite.js';
import { contextSpan } from './trace-suite.js';
import { assertLegacyRecordsBackfilled, COLUMNS_BEFORE_MIGRATION_5, legacyRecordRows } from './legacy-records.js';

/**
 * A store file in `dir` taken back to the schema before migration `version`: written by the
 * current schema, then `undo` restores what that migration changed and its row is forgotten, so
 * the next open applies it again.
 */
async function storeFileBeforeMigration(dir: string, version: number, undo: string): Promise<string> {
  const file = join(dir, 'decisions.db');
  await new SqliteDecisionStore(file).close();
  withConnection(file, (db) => db.exec(`${undo}\nDELETE FROM schema_migrations WHERE version = ${version};`));
  return file;
}

runStoreSuite('SqliteDecisionStore (file)', async () => sqliteTestDatabase(async (file) => new SqliteDecisionStore(file)));

test('the file is opened in WAL mode and parent directories are created', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'nested', 'deeper', 'decisions.db');
    const store = new SqliteDecisionStore(file);
    try {
      assert.ok(existsSync(file));
      // WAL is a property of the file, visible from any connection (synchronous is per connection).
      withConnection(file, (db) =>
        assert.deepEqual(
          [...(db.pragma('journal_mode') as object[])].map((row) => ({ ...row })),
          [{ journal_mode: 'wal' }],
        ),
      );
    } finally {
      await store.close();
    }
    withConnection(file, (db) => {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, [
        'alerts',
        'audit_log',
        'causal_links',
        'context_span_packs',
        'decision_rollups',
        'decisions',
        'ledger',
        'ledger_checkpoints',
        'schema_migrations',
        'trace_members',
      ]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migrate applies pending migrations in order, once, and records them', () => {
  const db = openSqlite(':memory:');
  try {
    const m1 = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER)' };
    const m2 = { version: 2, name: 'two', sql: 'CREATE TABLE b (y INTEGER)' };
    const m3 = { version: 3, name: 'three', sql: 'ALTER TABLE a ADD COLUMN z TEXT' };
    assert.deepEqual(migrate(db, [m1, m2]), [1, 2]);
    assert.deepEqual(migrate(db, [m1, m2]), []);
    assert.deepEqual(migrate(db, [m1, m2, m3]), [3]);
    assert.deepEqual(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all(), [
      { version: 1, name: 'one' },
      { version: 2, name: 'two' },
      { version: 3, name: 'three' },
    ]);
    assert.deepEqual(db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('a'), ['x', 'z']);
  } finally {
    db.close();
  }
});

test('a failing migration leaves the database as it was', () => {
  const db = openSqlite(':memory:');
  try {
    const good = { version: 1, name: 'good', sql: 'CREATE TABLE a (x INTEGER)' };
    const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE nope (' };
    assert.throws(() => migrate(db, [good, bad]));
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").all(), []);
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations').all(), []);
  } finally {
    db.close();
  }
});

test('migrations must be listed in increasing version order', () => {
  const db = openSqlite(':memory:');
  try {
    assert.throws(
      () =>
        migrate(db, [
          { version: 2, name: 'b', sql: '' },
          { version: 1, name: 'a', sql: '' },
        ]),
      /strictly increasing/,
    );
  } finally {
    db.close();
  }
});

test('the shipped migrations are strictly ordered from 1', () => {
  assert.equal(SQLITE_MIGRATIONS[0]?.version, 1);
  SQLITE_MIGRATIONS.forEach((migration, index) => assert.equal(migration.version, index + 1));
});

test('a database from a newer build is refused', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'decisions.db');
    await new SqliteDecisionStore(file).close();
    withConnection(file, (db) => db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'future', 'x'));
    assert.throws(() => new SqliteDecisionStore(file), /schema version 999 is newer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Two stores on one new file, as two collector processes would have; both closed and the file removed after `body`. */
async function withTwoStoresOnOneFile(body: (first: SqliteDecisionStore, second: SqliteDecisionStore) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  const first = new SqliteDecisionStore(file);
  const second = new SqliteDecisionStore(file);
  try {
    await body(first, second);
  } finally {
    await first.close();
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('two stores on one file keep one chain (cached tails are refreshed on conflict)', () =>
  withTwoStoresOnOneFile(async (first, second) => {
    await first.append([makeEvent('decision.start', {}, { decision_id: 'p' })]);
    await second.append([makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'p' })]);
    // `first` still believes the chain ends at seq 1.
    assert.deepEqual(await first.append([makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'p' })]), {
      appended: 1,
      duplicates: 0,
    });
    const [detail] = await first.getDecision('p');
    assert.deepEqual(
      detail!.events.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(detail!.record.event_count, 3);
    assert.deepEqual(await second.verifyLedger(), { ok: true, checked: 3, first_broken: null });
  }));

test('a store that found no context span stored still rolls up the spans another store on the file stores later', () =>
  withTwoStoresOnOneFile(async (first, second) => {
    // A store skips the token roll-up's trace reads while no context span is stored at all
    // (trace-tables.ts): it must ask again, not remember the first answer.
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const decisionOn = (id: string, spanId: string) =>
      makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: id, span_id: spanId, trace_id: trace });
    await first.append([decisionOn('before', 'elsewhere')]);
    await second.appendContextSpans([
      contextSpan('agent', null, { trace }),
      contextSpan('call', 'agent', { trace, kind: 'LLM', usage: { input: 100, output: 20, cached: 0, total: 120 } }),
    ]);
    await first.append([decisionOn('after', 'agent')]);
    const [detail] = await first.getDecision('after', { tenant: 'acme' });
    assert.deepEqual(detail!.record.token_usage, { input: 100, output: 20, cached: 0, total: 120, llm_calls: 1 });
    assert.deepEqual(await first.verifyLedger(), { ok: true, checked: 2, first_broken: null });
  }));

test("a store whose cached chain tail is behind another store's retention checkpoint reads its tails again", () =>
  withTwoStoresOnOneFile(async (first, second) => {
    const old = '2025-03-01T10:00:00.000Z';
    await first.append([makeEvent('decision.observed', {}, { decision_id: 'a', timestamp: old })]);
    await second.append([makeEvent('decision.observed', {}, { decision_id: 'b', timestamp: old })]);
    await second.append([makeEvent('decision.observed', {}, { decision_id: 'c', timestamp: '2025-03-30T10:00:00.000Z' })]);
    // Rows 1 and 2 go behind a checkpoint; `first` still believes the chain ends at seq 1.
    await second.applyRetention([{ ttl_ms: 10 * 86_400_000 }], new Date('2025-03-31T00:00:00.000Z'));
    await first.append([makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'c' })]);
    const [detail] = await first.getDecision('c');
    assert.deepEqual(
      detail!.events.map((e) => e.seq),
      [3, 4],
    );
    assert.deepEqual(await second.verifyLedger(), { ok: true, checked: 2, first_broken: null });
  }));

test('verification catches an edited hash, an edited indexed column and a tampered record count', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  const store = new SqliteDecisionStore(file);
  try {
    await store.append([
      makeEvent('decision.start', {}, { decision_id: 'h' }),
      makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'h' }),
      makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'h' }),
    ]);
    const rowOf = (seq: number) => withConnection(file, (db) => db.prepare('SELECT row_id FROM ledger WHERE seq = ?').pluck().get(seq) as number);

    withConnection(file, (db) => db.prepare('UPDATE ledger SET hash = ? WHERE seq = 2').run('f'.repeat(64)));
    let result = await store.verifyLedger();
    assert.deepEqual([result.first_broken?.seq, result.first_broken?.row, result.first_broken?.reason], [2, rowOf(2), 'hash mismatch']);
    // Recomputing that row's hash is not enough: the next row no longer links to it.
    withConnection(file, (db) => db.prepare('UPDATE ledger SET prev_hash = ? WHERE seq = 3').run('f'.repeat(64)));
    withConnection(file, (db) => db.prepare('UPDATE ledger SET hash = ? WHERE seq = 3').run('e'.repeat(64)));
    result = await store.verifyLedger();
    assert.equal(result.first_broken?.seq, 2);

    const clean = join(dir, 'clean.db');
    const other = new SqliteDecisionStore(clean);
    try {
      await other.append([makeEvent('decision.start', {}, { decision_id: 'c' }), makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'c' })]);
      withConnection(clean, (db) => db.prepare("UPDATE ledger SET decision_id = 'other' WHERE seq = 1").run());
      result = await other.verifyLedger();
      assert.deepEqual([result.first_broken?.seq, result.first_broken?.reason], [1, 'decision_id column does not match the event']);
      withConnection(clean, (db) => db.prepare("UPDATE ledger SET decision_id = 'c' WHERE seq = 1").run());
      assert.equal((await other.verifyLedger()).ok, true);
      withConnection(clean, (db) => db.prepare('UPDATE decisions SET event_count = 1').run());
      result = await other.verifyLedger();
      assert.equal(result.ok, false);
      assert.match(result.first_broken!.reason, /decision records count 1 events but the chain holds 2/);
    } finally {
      await other.close();
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verification of a large ledger yields to the event loop and still sees one snapshot', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  const store = new SqliteDecisionStore(file);
  try {
    const events = Array.from({ length: 5000 }, (_, i) => makeEvent('decision.observed', { outcome: 'ok' }, { decision_id: `big-${i}` }));
    await store.append(events);
    let settled = false;
    const verifying = store.verifyLedger();
    void verifying.finally(() => (settled = true));
    await setImmediate();
    assert.equal(settled, false, 'verification is still going after one turn of the event loop');
    // An append made meanwhile is not part of the snapshot being verified.
    await store.append([makeEvent('decision.observed', { outcome: 'ok' }, { decision_id: 'during' })]);
    const result = await verifying;
    assert.deepEqual(result, { ok: true, checked: 5000, first_broken: null });
    assert.equal((await store.verifyLedger()).checked, 5001);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openStore: sqlite paths, :memory:, and a clear error for other schemes', async () => {
  const dir = tempDir();
  try {
    const absolute = await openStore(`sqlite:${join(dir, 'a', 'abs.db')}`);
    await absolute.append([makeEvent('decision.start', {})]);
    await absolute.close();
    assert.ok(existsSync(join(dir, 'a', 'abs.db')));

    const relativePath = relative(process.cwd(), join(dir, 'b', 'rel.db'));
    const relativeStore = await openStore(`sqlite:${relativePath}`);
    await relativeStore.close();
    assert.ok(existsSync(join(dir, 'b', 'rel.db')));

    const memory = await openStore('sqlite::memory:');
    try {
      await memory.append([makeEvent('decision.start', {}, { decision_id: 'mem' }), makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'mem' })]);
      const [detail] = await memory.getDecision('mem');
      assert.equal(detail?.record.status, 'decided');
      assert.deepEqual(await memory.verifyLedger(), { ok: true, checked: 2, first_broken: null });
    } finally {
      await memory.close();
    }

    await assert.rejects(openStore('mysql://user:secret@db/decisions'), (error: Error) => {
      assert.match(error.message, /^unsupported storage URL .*; expected sqlite:<path> or postgres:\/\/…$/);
      assert.ok(!error.message.includes('secret'), 'the password is not echoed');
      return true;
    });
    await assert.rejects(openStore('sqlite:'), /has no path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in-memory stores are independent of each other', async () => {
  const one = await openStore('sqlite::memory:');
  const two = await openStore('sqlite::memory:');
  try {
    await one.append([makeEvent('decision.start', {}, { decision_id: 'only-in-one' })]);
    assert.deepEqual(await two.getDecision('only-in-one'), []);
  } finally {
    await one.close();
    await two.close();
  }
});

test('concurrent appends share one transaction; a failing call does not fail the others', async () => {
  const dir = tempDir();
  const store = new SqliteDecisionStore(join(dir, 'group.db'));
  try {
    const before = store.commits;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append([makeEvent('decision.start', {}, { decision_id: `g-${i}` })])));
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, () => ({ appended: 1, duplicates: 0 })),
    );
    assert.equal(store.commits - before, 1, 'twenty calls in one turn, one commit');
    assert.equal((await store.queryDecisions({ limit: 100 })).decisions.length, 20);

    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const settled = await Promise.allSettled([
      store.append([makeEvent('decision.start', {}, { decision_id: 'ok-1' })]),
      store.append([makeEvent('decision.evidence', { key: 'loop', value: circular }, { decision_id: 'bad' })]),
      store.append([makeEvent('decision.start', {}, { decision_id: 'ok-2' })]),
    ]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((await store.getDecision('ok-1')).length, 1);
    assert.equal((await store.getDecision('ok-2')).length, 1);
    assert.equal((await store.getDecision('bad')).length, 0, 'the failed call left nothing behind');
    assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 22, first_broken: null });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration 9 hash-chains the audit entries stored before it, which then verify and show edits', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  try {
    withConnection(file, (db) => {
      migrate(
        db,
        SQLITE_MIGRATIONS.filter((migration) => migration.version < 9),
      );
      const insert = db.prepare(
        'INSERT INTO audit_log (at, at_micros, key_name, role, tenant, method, path, query, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      insert.run('2025-03-01T12:00:00.000Z', 1740830400000000, 'ops', 'admin', null, 'GET', '/v1/decisions', '{"a":"1"}', 200);
      insert.run('2025-03-01T12:00:01.000Z', 1740830401000000, 'ci', 'read', 'acme', 'GET', '/v1/stats', '{}', 200);
    });
    const store = new SqliteDecisionStore(file);
    try {
      await store.appendAudit([
        { at: '2025-03-01T12:00:02.000Z', key_name: 'ci', role: 'read', tenant: 'acme', method: 'GET', path: '/v1/audit', query: {}, status: 403 },
      ]);
      assert.deepEqual(await store.verifyLedger(), { ok: true, checked: 0, first_broken: null });
      withConnection(file, (db) => {
        assert.deepEqual(db.prepare('SELECT seq FROM audit_log ORDER BY row_id').pluck().all(), [1, 2, 3]);
        db.prepare('UPDATE audit_log SET status = 500 WHERE seq = 1').run();
      });
      const broken = await store.verifyLedger();
      assert.equal(broken.first_broken?.kind, 'audit');
      assert.equal(broken.first_broken?.seq, 1);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration 5 backfills the filter and stats columns of records stored before it', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  try {
    withConnection(file, (db) => {
      migrate(
        db,
        SQLITE_MIGRATIONS.filter((migration) => migration.version < 5),
      );
      const insert = db.prepare(`INSERT INTO decisions VALUES (${Array.from({ length: COLUMNS_BEFORE_MIGRATION_5 }, () => '?').join(', ')})`);
      for (const row of legacyRecordRows()) insert.run(...row);
    });
    const store = new SqliteDecisionStore(file);
    try {
      await assertLegacyRecordsBackfilled(store);
    } finally {
      await store.close();
    }
    withConnection(file, (db) =>
      assert.deepEqual(
        db.prepare('SELECT id, duration_ms, adjusted_count, has_violations, input_tokens, output_tokens, total_tokens FROM decisions ORDER BY id').all(),
        [
          { id: 'old-1', duration_ms: 1500, adjusted_count: 3, has_violations: 1, input_tokens: null, output_tokens: null, total_tokens: null },
          { id: 'old-2', duration_ms: 0, adjusted_count: null, has_violations: 0, input_tokens: 40, output_tokens: 2, total_tokens: 42 },
        ],
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("migration 8 lists each decision's ledger rows on its row; events are read and retention prunes through that list", async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'decisions.db');
    const events = [
      makeEvent('decision.start', {}, { decision_id: 'a' }),
      makeEvent('decision.start', {}, { decision_id: 'b' }),
      makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'a' }),
      makeEvent('decision.start', {}, { decision_id: 'a', tenant_id: 'globex' }),
    ];
    const store = new SqliteDecisionStore(file);
    await store.append(events.slice(0, 2));
    await store.append(events.slice(2));
    const before = await store.getDecision('a');
    await store.close();
    withConnection(file, (db) => {
      assert.deepEqual(db.prepare('SELECT tenant_id, id, event_seqs FROM decisions ORDER BY tenant_id, id').all(), [
        { tenant_id: 'acme', id: 'a', event_seqs: '1,3' },
        { tenant_id: 'acme', id: 'b', event_seqs: '2' },
        { tenant_id: 'globex', id: 'a', event_seqs: '1' },
      ]);
      // Back to the schema before migration 8, which the next open applies again from the ledger.
      db.exec(`
        CREATE INDEX ledger_by_decision ON ledger (tenant_id, decision_id, seq);
        ALTER TABLE decisions DROP COLUMN event_seqs;
        DELETE FROM schema_migrations WHERE version = 8;
      `);
    });
    const migrated = new SqliteDecisionStore(file);
    try {
      assert.deepEqual(await migrated.getDecision('a'), before);
      assert.deepEqual(
        before.map((d) => d.events.map((e) => e.seq)),
        [[1, 3], [1]],
      );
      withConnection(file, (db) => {
        assert.equal(db.prepare("SELECT event_seqs FROM decisions WHERE tenant_id = 'acme' AND id = 'a'").pluck().get(), '1,3');
        assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'ledger_by_decision'").pluck().get(), 0);
      });
      // Appends after the migration extend the list.
      await migrated.append([makeEvent('decision.outcome', { status: 'approved' }, { decision_id: 'a' })]);
      const [after] = await migrated.getDecision('a', { tenant: 'acme' });
      assert.deepEqual(
        after!.events.map((e) => e.seq),
        [1, 3, 4],
      );
    } finally {
      await migrated.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an append call carries its events' canonical JSON from the caller, and the store writes that JSON to the ledger", async () => {
  const events = [
    makeEvent('decision.start', {}, { decision_id: 'carried' }),
    makeEvent('decision.evidence', { key: 'k', value: 2 }, { decision_id: 'carried' }),
  ];
  const call = appendCallOf({ events });
  assert.ok(call?.events !== undefined);
  assert.deepEqual(
    call.eventJson,
    events.map((event) => ledgerCanonicalJson(event)),
  );
  // The store appends what the call carries (it does not encode the events again): a carried
  // JSON that differs from the event object shows up in the ledger as carried.
  const marked = { ...call, eventJson: call.eventJson.map((json) => json.replace('"k"', '"carried-k"')) };
  const store = new SqliteDecisionStore(':memory:');
  try {
    assert.deepEqual(await store.appendPrepared(marked), { appended: 2, duplicates: 0 });
    const [detail] = await store.getDecision('carried');
    assert.equal((detail!.events[1]!.event.payload as { key: string }).key, 'carried-k');
  } finally {
    await store.close();
  }
});

test('the parent index holds child decisions only (migration 13): the decision graph still finds children through it', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'decisions.db');
    const store = new SqliteDecisionStore(file);
    try {
      await store.append([
        makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: 'root' }),
        makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: 'child', parent_decision_id: 'root' }),
      ]);
      assert.deepEqual(
        (await store.neighborDecisions('acme', ['root'])).map((record) => record.id),
        ['child'],
      );
    } finally {
      await store.close();
    }
    withConnection(file, (db) => {
      const index = (db.prepare('PRAGMA index_list(decisions)').all() as Array<{ name: string; partial: number }>).find(
        (row) => row.name === 'decisions_tenant_parent',
      );
      assert.equal(index?.partial, 1);
      // A root decision has no entry: only the child is in the index.
      assert.equal(db.prepare('SELECT count(*) FROM decisions INDEXED BY decisions_tenant_parent WHERE parent_decision_id IS NOT NULL').pluck().get(), 1);
      // The child lookup (`parent_decision_id = ?` never matches NULL) is served by the partial index.
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT id FROM decisions WHERE tenant_id = ? AND parent_decision_id = ?').all('acme', 'root') as Array<{
        detail: string;
      }>;
      assert.ok(
        plan.some((row) => row.detail.includes('decisions_tenant_parent')),
        JSON.stringify(plan),
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("migration 14: a trace's packs and decisions are members of one trace-keyed table; a store written before it reads, rolls up and retains the same", async () => {
  const dir = tempDir();
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const other = '0af7651916cd43dd8448eb211c80319c';
  const call = (spanId: string, parent: string | null, tokens: number, tenant = 'acme') => ({
    ...contextSpan(spanId, parent, { tenant, trace, kind: 'LLM', usage: { input: tokens, output: 1, cached: 0, total: tokens + 1 } }),
  });
  const observedAt = (id: string, spanId: string | null, overrides: Partial<Parameters<typeof makeEvent>[2]> = {}) =>
    makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: id, trace_id: trace, span_id: spanId, ...overrides });
  const members = (file: string) =>
    withConnection(file, (db) =>
      db.prepare('SELECT trace_id, tenant_id, typeof(member) AS kind, member FROM trace_members ORDER BY trace_id, tenant_id, member').all(),
    );
  try {
    // Written with the schema before migration 14 (its two trace indexes, no trace_members).
    const file = await storeFileBeforeMigration(
      dir,
      14,
      `DROP TRIGGER trace_members_pack_insert; DROP TRIGGER trace_members_pack_delete; DROP TABLE trace_members;
       CREATE INDEX context_span_packs_by_trace ON context_span_packs (trace_id, tenant_id);
       CREATE INDEX decisions_by_trace ON decisions (trace_id);`,
    );
    const before = new SqliteDecisionStore(file);
    try {
      await before.appendContextSpans([contextSpan('root', null, { trace }), call('c1', 'root', 100), call('g1', null, 7, 'globex')]);
      await before.append([observedAt('outer', 'root'), observedAt('elsewhere', null, { trace_id: other }), observedAt('g', null, { tenant_id: 'globex' })]);
    } finally {
      await before.close();
    }

    const migrated = new SqliteDecisionStore(file);
    try {
      const kinds = members(file) as Array<{ trace_id: string; tenant_id: string; kind: string; member: string | number }>;
      assert.deepEqual(
        kinds.map((row) => [row.trace_id, row.tenant_id, row.kind === 'text' ? row.member : 'pack']),
        [
          [other, 'acme', 'elsewhere'],
          [trace, 'acme', 'pack'],
          [trace, 'acme', 'outer'],
          [trace, 'globex', 'pack'],
          [trace, 'globex', 'g'],
        ],
      );
      withConnection(file, (db) =>
        assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('decisions_by_trace', 'context_span_packs_by_trace')").pluck().get(), 0),
      );
      // Reads find the trace's spans and decisions through it, per tenant and across tenants.
      const details = await migrated.getTrace(trace.toUpperCase());
      assert.deepEqual(
        details.map((detail) => [detail.tenant, detail.spans.map((span) => span.span_id).sort(), detail.decisions.map((record) => record.id)]),
        [
          ['acme', ['c1', 'root'], ['outer']],
          ['globex', ['g1'], ['g']],
        ],
      );
      assert.deepEqual(
        (await migrated.getTrace(trace, { tenant: 'globex' })).map((detail) => detail.decisions.map((record) => record.id)),
        [['g']],
      );
      const listed = await migrated.queryDecisions({ trace_id: trace });
      assert.deepEqual(listed.decisions.map((record) => record.id).sort(), ['g', 'outer']);
      const scoped = await migrated.queryDecisions({ trace_id: trace, tenant: 'acme', outcome: 'approved' });
      assert.deepEqual(
        scoped.decisions.map((record) => record.id),
        ['outer'],
      );
      assert.equal((await migrated.getDecision('outer', { tenant: 'acme' }))[0]!.record.token_usage_with_nested?.input, 100);

      // A new call in the stored trace rolls up with the spans stored before the migration.
      await migrated.appendContextSpans([call('c2', 'root', 50)]);
      assert.equal((await migrated.getDecision('outer', { tenant: 'acme' }))[0]!.record.token_usage_with_nested?.input, 150);
      // A decision that learns its trace later becomes a member then.
      await migrated.append([observedAt('late', null, { trace_id: null })]);
      await migrated.append([makeEvent('decision.outcome', { status: 'approved' }, { decision_id: 'late', trace_id: trace })]);
      assert.equal((await migrated.getDecision('late', { tenant: 'acme' }))[0]!.record.trace_id, trace);
      assert.deepEqual((await migrated.getTrace(trace, { tenant: 'acme' }))[0]!.decisions.map((record) => record.id).sort(), ['late', 'outer']);

      // Retention deletes the decisions, then the packs of the traces left without one, members included.
      await migrated.applyRetention([{ tenant: 'acme', ttl_ms: 1000 }], new Date('2100-01-01T00:00:00Z'));
      assert.deepEqual(
        (members(file) as Array<{ tenant_id: string }>).map((row) => row.tenant_id),
        ['globex', 'globex'],
      );
      assert.deepEqual(
        (await migrated.getTrace(trace)).map((detail) => detail.tenant),
        ['globex'],
      );
    } finally {
      await migrated.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration 15: listings without a tenant are served by the stats index, newest first, once the (sort_time, id, tenant_id) index is dropped', async () => {
  const dir = tempDir();
  try {
    // Written with the schema before migration 15 (with its newest index).
    const file = await storeFileBeforeMigration(dir, 15, 'CREATE INDEX decisions_newest ON decisions (sort_time, id, tenant_id);');
    // Three decisions share each minute, across tenants: the page order within a sort_time is (id, tenant) descending.
    const at = (minute: number) => new Date(Date.UTC(2025, 2, 1, 10, minute)).toISOString();
    const events = [];
    for (let minute = 0; minute < 4; minute++) {
      for (const [id, tenant] of [
        ['a', 'acme'],
        ['a', 'globex'],
        ['b', 'acme'],
      ] as const) {
        events.push(
          makeEvent(
            'decision.observed',
            { outcome: minute % 2 === 0 ? 'approved' : 'denied', start_time: at(minute) },
            { decision_id: `${id}${minute}`, tenant_id: tenant, timestamp: at(minute) },
          ),
        );
      }
    }
    const before = new SqliteDecisionStore(file);
    try {
      await before.append(events);
    } finally {
      await before.close();
    }

    const migrated = new SqliteDecisionStore(file);
    try {
      withConnection(file, (db) => {
        assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'decisions_newest'").pluck().get(), 0);
        // The pages the store asks for without a tenant (decisionPageSql, as queryDecisions runs
        // them: the limit a parameter) walk the stats index by sort_time and sort only each
        // sort_time's rows: the first page, the next one (a cursor), and type, outcome and time filters.
        const after = { time: Date.UTC(2025, 2, 1, 10, 2) * 1000, id: 'a2', tenant: 'acme' };
        for (const query of [{}, { after }, { type: 'refund.approve' }, { outcome: 'denied' }, { since: at(1) }]) {
          const { sql, params } = decisionPageSql(SQLITE_DIALECT, {
            ...normalizeDecisionQuery({ limit: 2, ...query }),
            ...('after' in query ? { after } : {}),
          });
          const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((row) => row.detail);
          assert.ok(plan[0]!.includes('USING INDEX decisions_stats'), plan.join(' | '));
          assert.deepEqual(plan.slice(1), ['USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY'], plan.join(' | '));
        }
      });
      // Paging through every decision, two at a time, gives them all once, newest first, ties by (id, tenant) descending.
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await migrated.queryDecisions({ limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page.decisions.map((record) => `${record.start_time?.slice(14, 16)} ${record.id} ${record.tenant}`));
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
      const expected = [];
      for (let minute = 3; minute >= 0; minute--) expected.push(`0${minute} b${minute} acme`, `0${minute} a${minute} globex`, `0${minute} a${minute} acme`);
      assert.deepEqual(seen, expected);
      // Filters the stats index holds (outcome) and ones it does not (actor) still list the same decisions.
      assert.deepEqual(
        (await migrated.queryDecisions({ outcome: 'denied', limit: 4 })).decisions.map((record) => `${record.id} ${record.tenant}`),
        ['b3 acme', 'a3 globex', 'a3 acme', 'b1 acme'],
      );
      assert.equal((await migrated.queryDecisions({ actor_id: 'agent-7', limit: 20 })).decisions.length, 12);
    } finally {
      await migrated.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
