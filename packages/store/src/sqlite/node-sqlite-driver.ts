import type { SqliteDatabase, SqliteDriver, SqliteRunResult, SqliteStatement, SqliteTransaction } from './sqlite-driver.js';
import { withSqliteCode } from './sqlite-error-code.js';

/**
 * The node:sqlite driver: DatabaseSync behind the store's better-sqlite3 shaped API
 * (sqlite-driver.ts). It needs rows as arrays, result columns, `iterate` and `isTransaction`,
 * which Node.js 24 and recent 22 releases have (22.23 and 24.22 are tested); Node.js 20 has no
 * node:sqlite, and early 22 releases have it behind a flag or without some of those parts: the
 * driver checks for them rather than trusting a version number.
 */
export const NODE_SQLITE_RUNTIMES = 'Node.js 24 or a recent 22';

/** What this file uses of node:sqlite (the workspace's @types/node is Node 20's, without it). */
interface NodeStatementSync {
  run(...params: unknown[]): SqliteRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  setReturnArrays(enabled: boolean): void;
  columns(): Array<{ name: string }>;
}

interface NodeDatabaseSync {
  readonly isTransaction: boolean;
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean; timeout?: number }) => NodeDatabaseSync;
}

/** Whether this node:sqlite has every part the driver uses (asked of a connection: some are not on the prototypes). */
function complete(sqlite: NodeSqliteModule | undefined): sqlite is NodeSqliteModule {
  if (sqlite?.DatabaseSync === undefined) return false;
  const db = new sqlite.DatabaseSync(':memory:');
  try {
    const statement = db.prepare('SELECT 1');
    return ['setReturnArrays', 'columns', 'iterate'].every((method) => method in statement) && 'isTransaction' in db;
  } finally {
    db.close();
  }
}

/**
 * SQLite's own default page cache is 2 MB; better-sqlite3 builds SQLite with 16 MB. The store's
 * queries and appends were tuned with the latter, so both drivers run with it.
 */
const CACHE_SIZE_PRAGMA = 'cache_size = -16000';
/** better-sqlite3's default busy timeout; the store sets its own on each connection too. */
const BUSY_TIMEOUT_MS = 5000;

/** node:sqlite when this runtime has all the driver needs of it, else null; its ExperimentalWarning is not printed (see below). */
export function loadNodeSqlite(): SqliteDriver | null {
  const sqlite = withoutSqliteExperimentalWarning(() => {
    try {
      return process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined;
    } catch {
      return undefined;
    }
  });
  if (!complete(sqlite)) return null;
  const { DatabaseSync } = sqlite;
  return {
    name: 'node:sqlite',
    open: (path, options = {}) => {
      let db: NodeDatabaseSync;
      try {
        db = new DatabaseSync(path, { readOnly: options.readonly === true, timeout: BUSY_TIMEOUT_MS });
      } catch (error) {
        throw withSqliteCode(error);
      }
      const database = new NodeSqliteDatabase(db);
      database.pragma(CACHE_SIZE_PRAGMA);
      return database;
    },
  };
}

/**
 * Node.js 22 prints "ExperimentalWarning: SQLite is an experimental feature" when node:sqlite is
 * first loaded in a thread (24 no longer does). Users chose neither the module nor the warning,
 * which would land in every collector's log and every CLI run's stderr: that one warning is
 * held back while the module loads; any other warning goes out as usual.
 */
function withoutSqliteExperimentalWarning<T>(load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    const name = typeof warning === 'string' ? type : warning.name;
    if (name === 'ExperimentalWarning' && text.includes('SQLite')) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

type ControlStatements = Record<'begin' | 'immediate' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', NodeStatementSync>;

class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: NodeDatabaseSync;
  /** Transaction control statements, prepared once (each call of a transaction runs two). */
  #control: ControlStatements | null = null;

  constructor(db: NodeDatabaseSync) {
    this.#db = db;
  }

  prepare<Params extends unknown[] = unknown[], Row = unknown>(sql: string): SqliteStatement<Params, Row> {
    try {
      return new NodeSqliteStatement<Params, Row>(this.#db.prepare(sql));
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  exec(sql: string): this {
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw withSqliteCode(error);
    }
    return this;
  }

  pragma(source: string): unknown[] {
    return this.prepare(`PRAGMA ${source}`).all();
  }

  /**
   * As better-sqlite3's: commits when `fn` returns, rolls back when it throws; called inside
   * another transaction, it runs in a savepoint, so its failure undoes only its own work.
   */
  transaction<F extends (...args: never[]) => unknown>(fn: F): SqliteTransaction<F> {
    const run =
      (begin: 'begin' | 'immediate') =>
      (...args: Parameters<F>): ReturnType<F> => {
        const control = this.#controlStatements();
        const nested = this.#db.isTransaction;
        const [start, end, undo] = nested ? [control.savepoint, control.release, control.rollbackTo] : [control[begin], control.commit, control.rollback];
        try {
          start.run();
        } catch (error) {
          throw withSqliteCode(error);
        }
        let result: ReturnType<F>;
        try {
          result = fn(...args) as ReturnType<F>;
          end.run();
        } catch (error) {
          // SQLite may have rolled back already (some errors end the transaction themselves).
          if (this.#db.isTransaction) {
            undo.run();
            if (nested) control.release.run();
          }
          throw withSqliteCode(error);
        }
        return result;
      };
    const transaction = run('begin') as SqliteTransaction<F>;
    transaction.immediate = run('immediate');
    return transaction;
  }

  close(): void {
    this.#db.close();
  }

  #controlStatements(): ControlStatements {
    return (this.#control ??= {
      begin: this.#db.prepare('BEGIN'),
      immediate: this.#db.prepare('BEGIN IMMEDIATE'),
      commit: this.#db.prepare('COMMIT'),
      rollback: this.#db.prepare('ROLLBACK'),
      savepoint: this.#db.prepare('SAVEPOINT dt_nested'),
      release: this.#db.prepare('RELEASE dt_nested'),
      rollbackTo: this.#db.prepare('ROLLBACK TO dt_nested'),
    });
  }
}

/**
 * Rows are read as arrays and turned into objects here: node:sqlite's own row objects have a null
 * prototype, which would leak out of the store (its counts and checkpoints are such rows) and
 * differ from better-sqlite3's. One object literal per statement, built from its columns, makes
 * plain objects of one shape (a later column of the same name wins, as in better-sqlite3).
 */
type RowShape = 'object' | 'pluck' | 'raw';

class NodeSqliteStatement<Params extends unknown[], Row> implements SqliteStatement<Params, Row> {
  readonly #statement: NodeStatementSync;
  #shape: RowShape = 'object';
  #toRow: ((values: unknown[]) => unknown) | null = null;

  constructor(statement: NodeStatementSync) {
    this.#statement = statement;
    statement.setReturnArrays(true);
  }

  run(...params: Params): SqliteRunResult {
    try {
      return this.#statement.run(...params);
    } catch (error) {
      throw withSqliteCode(error);
    }
  }

  get(...params: Params): Row | undefined {
    let values: unknown;
    try {
      values = this.#statement.get(...params);
    } catch (error) {
      throw withSqliteCode(error);
    }
    return (values === undefined ? undefined : this.#row(values as unknown[])) as Row | undefined;
  }

  all(...params: Params): Row[] {
    let rows: unknown[];
    try {
      rows = this.#statement.all(...params);
    } catch (error) {
      throw withSqliteCode(error);
    }
    if (this.#shape === 'raw') return rows as Row[];
    const out = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.#row(rows[i] as unknown[]) as Row;
    return out;
  }

  iterate(...params: Params): IterableIterator<Row> {
    let rows: IterableIterator<unknown>;
    try {
      rows = this.#statement.iterate(...params);
    } catch (error) {
      throw withSqliteCode(error);
    }
    return (this.#shape === 'raw' ? rows : this.#rowsOf(rows)) as IterableIterator<Row>;
  }

  pluck(): this {
    this.#shape = 'pluck';
    return this;
  }

  raw(): this {
    this.#shape = 'raw';
    return this;
  }

  *#rowsOf(rows: IterableIterator<unknown>): IterableIterator<unknown> {
    for (const values of rows) yield this.#row(values as unknown[]);
  }

  #row(values: unknown[]): unknown {
    if (this.#shape === 'raw') return values;
    if (this.#shape === 'pluck') return values[0];
    return (this.#toRow ??= rowBuilder(this.#statement.columns().map((column) => column.name)))(values);
  }
}

/** `(v) => ({ "a": v[0], "b": v[1] })` for columns a, b: an object literal of one shape. */
function rowBuilder(names: readonly string[]): (values: unknown[]) => unknown {
  const fields = names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${fields} };`) as (values: unknown[]) => unknown;
}
