// The store scale bench's SQLite fixture (bench/store-fixture.mjs) is loaded through the store's
// append path with the indexes the append path never reads dropped, and those are built after
// the load. This checks that the result is the store an ordinary append makes: the same schema
// (every index back, as the migrations define it) and the same rows. (The PostgreSQL fixture's
// bulk load has its own test: packages/store/test/bulk-load.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ContextSpan, DecisionEvent } from '@decision-trace/model';
import { openStore } from '@decision-trace/store';

interface FixtureModule {
  sqliteFixture(decisions: number): Promise<string>;
  fixtureEvent(i: number, decisions: number): DecisionEvent;
  contextSpansOf(event: DecisionEvent, i: number): ContextSpan[];
}

const DECISIONS = 3000;

/**
 * The schema and every row of every table but the migrations' own, without what differs between
 * two loads of the same input: the ledger's reception times and the hashes over them, and
 * numbers that only count rows (row ids, context-span pack ids).
 */
function contents(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const result: Record<string, unknown[]> = {
      schema: db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`).all(),
    };
    const skipped = new Set(['row_id', 'pack_id', 'received_at', 'prev_hash', 'hash']);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations' ORDER BY name`).pluck().all() as string[];
    for (const table of tables) {
      const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).filter((column) => !skipped.has(column));
      const list = columns.map((column) => `"${column}"`).join(', ');
      result[table] = db.prepare(`SELECT ${list} FROM ${table} ORDER BY ${list}`).all();
    }
    return result;
  } finally {
    db.close();
  }
}

test('the SQLite bench fixture is the store an ordinary append makes: same schema, same rows, chains that verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-fixture-test-'));
  const previous = process.env.DT_BENCH_FIXTURE_DIR;
  process.env.DT_BENCH_FIXTURE_DIR = dir;
  try {
    // A path in a variable: the bench is plain JavaScript, outside the type-checked sources.
    const modulePath = new URL('../bench/store-fixture.mjs', import.meta.url).href;
    const fixture = (await import(modulePath)) as FixtureModule;
    const built = await fixture.sqliteFixture(DECISIONS);

    const plain = join(dir, 'plain.db');
    const store = await openStore(`sqlite:${plain}`);
    try {
      const events = Array.from({ length: DECISIONS }, (_, i) => fixture.fixtureEvent(i, DECISIONS));
      await store.append(events);
      await store.appendContextSpans(events.flatMap((event, i) => fixture.contextSpansOf(event, i)));
    } finally {
      await store.close();
    }

    const expected = contents(plain);
    const actual = contents(built);
    assert.equal(expected.decisions!.length, DECISIONS);
    // Tokens rolled up from each trace's LLM span onto its decision.
    assert.ok((expected.decisions! as Array<{ total_tokens: number | null }>).every((row) => row.total_tokens !== null));
    assert.ok(expected.decision_rollups!.length > 0);
    assert.deepEqual(Object.keys(actual), Object.keys(expected));
    for (const part of Object.keys(expected)) assert.deepEqual(actual[part], expected[part], part);

    const reopened = await openStore(`sqlite:${built}`);
    try {
      const verification = await reopened.verifyLedger();
      assert.equal(verification.ok, true, JSON.stringify(verification));
    } finally {
      await reopened.close();
    }
  } finally {
    if (previous === undefined) delete process.env.DT_BENCH_FIXTURE_DIR;
    else process.env.DT_BENCH_FIXTURE_DIR = previous;
    rmSync(dir, { recursive: true, force: true });
  }
});
