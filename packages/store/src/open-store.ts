import type { DecisionStore } from './store.js';
import { SqliteDecisionStore } from './sqlite/sqlite-store.js';
import { WorkerDecisionStore } from './worker/worker-store.js';
import { sqliteDriverChoice } from './sqlite/driver-choice.js';
import { isPostgresUrl, withoutPassword } from './postgres/postgres-url.js';

const SQLITE_SCHEME = 'sqlite:';
const SQLITE_MEMORY = ':memory:';

export interface OpenStoreOptions {
  /**
   * Where a SQLite file store does its work: `worker` (default) in a worker thread, so the
   * caller's event loop never waits for the database; `inline` on the caller's thread (short-lived
   * tools). An in-memory database is always inline: another thread could not see it.
   */
  thread?: 'worker' | 'inline';
}

/**
 * Opens a store from a storage URL: `sqlite:<path>` (everything after `sqlite:` is the path,
 * relative to the working directory or absolute), `sqlite::memory:`, or
 * `postgres://user:password@host:port/database[?schema=name]` (also `postgresql://`).
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<DecisionStore> {
  if (url.startsWith(SQLITE_SCHEME)) {
    const path = url.slice(SQLITE_SCHEME.length);
    if (path === '') throw new Error(`storage URL "${url}" has no path; expected sqlite:<path> or sqlite::memory:`);
    // On this thread first: a store without a usable driver fails here, with one plain sentence.
    sqliteDriverChoice();
    if (path === SQLITE_MEMORY || options.thread === 'inline') return new SqliteDecisionStore(path);
    return WorkerDecisionStore.open(path);
  }
  if (isPostgresUrl(url)) {
    // Loaded on demand: whoever only uses SQLite (the in-process SDK's sink) never loads `pg`.
    const { PostgresDecisionStore } = await import('./postgres/postgres-store.js');
    return PostgresDecisionStore.open(url);
  }
  throw new Error(`unsupported storage URL "${withoutPassword(url)}"; expected sqlite:<path> or postgres://…`);
}
