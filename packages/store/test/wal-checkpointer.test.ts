import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { SqliteDecisionStore } from '../src/index.js';
import { WalCheckpointer } from '../src/sqlite/wal-checkpointer.js';
import { tempDir } from './sqlite-test-database.js';
import { makeEvent } from './store-suite.js';

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('a store that appends copies its WAL into the database file from the checkpointer thread', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'decisions.db');
    const store = new SqliteDecisionStore(file);
    try {
      assert.equal(store.checkpoints, 0, 'no thread before the first append');
      const events = Array.from({ length: 500 }, (_, i) => makeEvent('decision.start', {}, { decision_id: `d-${i}` }));
      await store.append(events);
      await until(() => store.checkpoints > 0, 'a checkpoint round');
      // The database file alone (without its WAL) holds the decisions: a checkpoint copied them.
      const copy = join(dir, 'main-file-only.db');
      copyFileSync(file, copy);
      const db = new Database(copy, { readonly: true });
      try {
        assert.equal(db.prepare('SELECT count(*) FROM decisions').pluck().get(), 500);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Commits `rounds` transactions of fresh random index entries, as ingest does, and returns the WAL's size. */
async function writeWhileCheckpointing(dir: string, withCheckpointer: boolean): Promise<number> {
  const file = join(dir, `${withCheckpointer ? 'with' : 'without'}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
  const checkpointer = withCheckpointer ? new WalCheckpointer(file, { intervalMs: 5, restartFrames: 200, onFailure: (message) => assert.fail(message) }) : null;
  const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
  const commit = db.transaction((n: number) => {
    for (let i = 0; i < 50; i++) insert.run(`${Math.random()}-${n}-${i}`, 'x'.repeat(200));
  });
  try {
    // The thread takes a moment to start (longer under tsx).
    if (checkpointer !== null) await until(() => checkpointer.checkpoints > 0, 'the first round');
    for (let n = 0; n < 400; n++) {
      commit(n);
      checkpointer?.written();
      // Let the checkpointer's rounds fall between commits, as between ingest groups (and let it
      // have a core when tests run in parallel).
      if (n % 4 === 0) await sleep(2);
    }
    if (checkpointer !== null) assert.ok(checkpointer.checkpoints > 10, `${checkpointer.checkpoints} checkpoint rounds while writing`);
    return statSync(`${file}-wal`).size;
  } finally {
    await checkpointer?.stop();
    db.close();
  }
}

test('the WAL stops growing: past restartFrames the checkpointer makes it start over', async (t) => {
  const dir = tempDir();
  try {
    const without = await writeWhileCheckpointing(dir, false);
    const withThread = await writeWhileCheckpointing(dir, true);
    t.diagnostic(`WAL after the same writes: ${without} bytes without checkpoints, ${withThread} with the checkpointer`);
    assert.ok(without > 8 * 1024 * 1024, `premise: without checkpoints the WAL grows (${without} bytes)`);
    assert.ok(withThread < without / 3, `WAL with the checkpointer ${withThread} bytes, without ${without}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpointer that cannot run reports it, so the store turns SQLite checkpoints back on', async () => {
  const dir = tempDir();
  try {
    const failures: string[] = [];
    const checkpointer = new WalCheckpointer(join(dir, 'missing', 'nowhere.db'), { onFailure: (message) => failures.push(message) });
    await until(() => failures.length > 0, 'the failure');
    assert.match(failures[0]!, /unable to open database file|directory does not exist|exited/);
    // By now the thread has ended: stopping it must still resolve (the store's close waits for it).
    await sleep(200);
    await checkpointer.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
