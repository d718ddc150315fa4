import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';
import type { WitnessWriter } from '../witness/witness-writer.js';

/** Prepared filter-dependent statements kept at most. */
const MAX_CACHED_QUERY_STATEMENTS = 500;

/**
 * What the SQLite store's concern modules (ledger writer, reads, stats, audit log, verification,
 * retention) share: the connection, its file (null in memory), whether the store was closed, the
 * witness writer once attached, and the cache of statements whose SQL depends on a query.
 */
export class SqliteStoreHandle {
  closed = false;
  witness: WitnessWriter | null = null;
  /** Statements whose SQL depends on the filters asked, by SQL text. */
  readonly #queryStatements = new Map<string, SqliteStatement<unknown[], unknown>>();

  constructor(
    readonly db: SqliteDatabase,
    readonly file: string | null,
  ) {}

  assertOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  /** A statement prepared once per SQL text (`raw`: rows as arrays). */
  prepared<Row>(sql: string, mode: 'object' | 'raw' = 'object'): SqliteStatement<unknown[], Row> {
    const key = `${mode}:${sql}`;
    let statement = this.#queryStatements.get(key);
    if (statement === undefined) {
      // Filters combine freely; keep the cache from growing without bound on unusual mixes.
      if (this.#queryStatements.size >= MAX_CACHED_QUERY_STATEMENTS) this.#queryStatements.clear();
      statement = this.db.prepare<unknown[], unknown>(sql);
      if (mode === 'raw') statement.raw();
      this.#queryStatements.set(key, statement);
    }
    return statement as SqliteStatement<unknown[], Row>;
  }
}
