import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteDecisionStore, WorkerDecisionStore } from '../src/index.js';
import { SQLITE_DRIVER_ENV, sqliteDriverChoice, sqliteDriverInUse } from '../src/sqlite/driver-choice.js';
import { loadNodeSqlite } from '../src/sqlite/node-sqlite-driver.js';
import { sqliteCodeName } from '../src/sqlite/sqlite-error-code.js';
import { sqliteTestDatabase, tempDir } from './sqlite-test-database.js';
import { makeEvent, runStoreSuite } from './store-suite.js';

/**
 * The SQLite store on node:sqlite (DT_SQLITE_DRIVER=node:sqlite): the whole store contract,
 * inline and in its worker thread, and what the driver adds to DatabaseSync (SQLite's error code
 * names, better-sqlite3's transaction semantics, no ExperimentalWarning). sqlite.test.ts runs the
 * same contract on better-sqlite3. Node.js 20 has no node:sqlite: everything here is skipped there.
 */
// Before any store opens: each thread (this one, the worker store's, the checkpointer's) chooses its driver from it.
process.env[SQLITE_DRIVER_ENV] = 'node:sqlite';
const skip =
  loadNodeSqlite() === null ? `Node.js ${process.version} has no node:sqlite the store can use (Node.js 24 and recent 22 releases have it)` : undefined;
const options = skip === undefined ? {} : { skip };

runStoreSuite('SqliteDecisionStore on node:sqlite (file)', async () => sqliteTestDatabase(async (file) => new SqliteDecisionStore(file)), options);
runStoreSuite('WorkerDecisionStore on node:sqlite (file)', async () => sqliteTestDatabase((file) => WorkerDecisionStore.open(file)), options);

describe('the node:sqlite driver', options, () => {
  test('the stores of this file ran on node:sqlite, chosen by DT_SQLITE_DRIVER', () => {
    assert.equal(sqliteDriverChoice().driver.name, 'node:sqlite');
    assert.equal(sqliteDriverInUse()?.driver.name, 'node:sqlite');
    assert.equal(sqliteDriverInUse()?.fallbackReason, undefined);
  });

  test('two stores on one file keep one chain: the seq conflict is recognised by its SQLite code name', async () => {
    const dir = tempDir();
    const file = join(dir, 'decisions.db');
    const first = new SqliteDecisionStore(file);
    const second = new SqliteDecisionStore(file);
    try {
      await first.append([makeEvent('decision.start', {}, { decision_id: 'p' })]);
      await second.append([makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'p' })]);
      // `first` still believes the chain ends at seq 1: its insert conflicts, and it must read its tail again.
      assert.deepEqual(await first.append([makeEvent('decision.outcome', { status: 'ok' }, { decision_id: 'p' })]), { appended: 1, duplicates: 0 });
      const [detail] = await first.getDecision('p');
      assert.deepEqual(
        detail!.events.map((e) => e.seq),
        [1, 2, 3],
      );
      assert.deepEqual(await second.verifyLedger(), { ok: true, checked: 3, first_broken: null });
    } finally {
      await first.close();
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SQLite errors carry their result-code name in `code`, as better-sqlite3 names them', () => {
    const db = sqliteDriverChoice().driver.open(':memory:');
    try {
      db.exec('CREATE TABLE t (k TEXT UNIQUE, n INTEGER NOT NULL)');
      db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 1);
      assert.throws(() => db.prepare('INSERT INTO t VALUES (?, ?)').run('a', 2), {
        code: 'SQLITE_CONSTRAINT_UNIQUE',
        message: /UNIQUE constraint failed: t\.k/,
      });
      assert.throws(() => db.prepare('INSERT INTO t VALUES (?, ?)').run('b', null), { code: 'SQLITE_CONSTRAINT_NOTNULL' });
      assert.throws(() => db.prepare('SELECT * FROM missing'), { code: 'SQLITE_ERROR', message: /no such table: missing/ });
      assert.throws(() => db.exec('INSERT INTO missing VALUES (1)'), { code: 'SQLITE_ERROR' });
    } finally {
      db.close();
    }
    assert.equal(sqliteCodeName(5), 'SQLITE_BUSY');
    assert.equal(sqliteCodeName(1811), 'SQLITE_CONSTRAINT_TRIGGER');
    assert.equal(sqliteCodeName(3338), 'SQLITE_IOERR_ACCESS');
    assert.equal(sqliteCodeName(516), 'SQLITE_ABORT_ROLLBACK');
  });

  test('transactions commit, roll back on a throw, and nest as savepoints', () => {
    const db = sqliteDriverChoice().driver.open(':memory:');
    try {
      db.exec('CREATE TABLE t (n INTEGER)');
      const insert = db.prepare<[number]>('INSERT INTO t VALUES (?)');
      const count = db.prepare<[], number>('SELECT count(*) FROM t').pluck();
      const insertBoth = db.transaction((a: number, b: number) => {
        insert.run(a);
        insert.run(b);
        return a + b;
      });
      assert.equal(insertBoth.immediate(1, 2), 3);
      assert.equal(count.get(), 2);
      const failing = db.transaction(() => {
        insert.run(3);
        throw new Error('undo');
      });
      assert.throws(() => failing(), /undo/);
      assert.equal(count.get(), 2, 'the failed transaction left nothing');
      const outer = db.transaction(() => {
        insert.run(4);
        assert.throws(() => failing(), /undo/);
        insert.run(5);
      });
      outer.immediate();
      assert.deepEqual(db.prepare('SELECT n FROM t ORDER BY n').pluck().all(), [1, 2, 4, 5], 'only the inner transaction was undone');
    } finally {
      db.close();
    }
  });

  test('pluck, raw, iterate and named parameters read as with better-sqlite3', () => {
    const db = sqliteDriverChoice().driver.open(':memory:');
    try {
      db.exec("CREATE TABLE t (a TEXT, b INTEGER); INSERT INTO t VALUES ('x', 1), ('y', 2)");
      assert.deepEqual(db.prepare('SELECT a FROM t ORDER BY a').pluck().all(), ['x', 'y']);
      assert.equal(db.prepare<[string], number>('SELECT b FROM t WHERE a = ?').pluck().get('y'), 2);
      assert.equal(db.prepare<[string], number>('SELECT b FROM t WHERE a = ?').pluck().get('z'), undefined);
      assert.deepEqual(
        [...db.prepare('SELECT a, b FROM t ORDER BY a').raw().iterate()],
        [
          ['x', 1],
          ['y', 2],
        ],
      );
      assert.deepEqual([...db.prepare('SELECT b FROM t ORDER BY a').pluck().iterate()], [1, 2]);
      assert.deepEqual({ ...(db.prepare<[{ a: string }], object>('SELECT a, b FROM t WHERE a = @a').get({ a: 'x' }) as object) }, { a: 'x', b: 1 });
      assert.equal(db.prepare('UPDATE t SET b = b + 1').run().changes, 2);
      assert.deepEqual(
        (db.pragma('table_info(t)') as Array<{ name: string }>).map((column) => column.name),
        ['a', 'b'],
      );
    } finally {
      db.close();
    }
  });

  test('loading node:sqlite prints no ExperimentalWarning, where this Node.js would print one', (t) => {
    const run = (code: string) =>
      spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code], {
        encoding: 'utf8',
        cwd: import.meta.dirname,
      });
    const bare = run("process.getBuiltinModule('node:sqlite'); process.emitWarning('a warning of its own');");
    assert.match(bare.stderr, /a warning of its own/);
    if (!/ExperimentalWarning: SQLite/.test(bare.stderr)) {
      t.skip(`Node.js ${process.version} prints no ExperimentalWarning for node:sqlite (22 does)`);
      return;
    }
    const driver = new URL('../src/sqlite/node-sqlite-driver.ts', import.meta.url).href;
    const ours = run(
      `const { loadNodeSqlite } = await import(${JSON.stringify(driver)}); loadNodeSqlite().open(':memory:').close(); process.emitWarning('a warning of its own');`,
    );
    assert.equal(ours.status, 0, ours.stderr);
    assert.doesNotMatch(ours.stderr, /ExperimentalWarning/);
    assert.match(ours.stderr, /a warning of its own/, 'other warnings still go out');
  });
});
