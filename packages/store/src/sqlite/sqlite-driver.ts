/**
 * The part of a SQLite binding the store uses, shaped after better-sqlite3's API (which the
 * store was written against): open, pragma, exec, prepared statements (run/get/all/iterate,
 * positional or named parameters, `pluck` for the first column, `raw` for rows as arrays) and
 * transaction functions (`.immediate` for BEGIN IMMEDIATE, nested calls as savepoints).
 *
 * Two drivers implement it (driver-choice.ts picks one): better-sqlite3, a native addon built for
 * one Node.js ABI, and node:sqlite's DatabaseSync, built into Node.js 24 and recent 22 releases.
 * Integers read back as JavaScript numbers in both (beyond 2^53 better-sqlite3 rounds them and
 * node:sqlite throws; the store keeps none that large). Errors from SQLite carry SQLite's own
 * result-code name in `code` (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`) with either driver.
 */
export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement<Params extends unknown[] = unknown[], Row = unknown> {
  run(...params: Params): SqliteRunResult;
  get(...params: Params): Row | undefined;
  all(...params: Params): Row[];
  iterate(...params: Params): IterableIterator<Row>;
  /** From now on, rows are their first column's value. */
  pluck(): this;
  /** From now on, rows are arrays of column values. */
  raw(): this;
}

/** `fn` run in a transaction: BEGIN (DEFERRED) when called, BEGIN IMMEDIATE through `.immediate`. */
export interface SqliteTransaction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  immediate(...args: Parameters<F>): ReturnType<F>;
}

export interface SqliteDatabase {
  prepare<Params extends unknown[] = unknown[], Row = unknown>(sql: string): SqliteStatement<Params, Row>;
  exec(sql: string): unknown;
  /** `PRAGMA <source>`'s rows. */
  pragma(source: string): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F>;
  close(): void;
}

export interface SqliteOpenOptions {
  /** Open an existing file for reading only (it is not created). */
  readonly?: boolean;
}

export interface SqliteDriver {
  name: SqliteDriverName;
  open(path: string, options?: SqliteOpenOptions): SqliteDatabase;
}
