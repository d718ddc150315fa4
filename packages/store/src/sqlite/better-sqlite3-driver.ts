import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteDriver } from './sqlite-driver.js';

/**
 * The better-sqlite3 driver: the addon's Database is the store's SqliteDatabase as it is (the
 * seam was cut to its API), so this driver adds nothing to any call.
 *
 * Loaded with require on first use rather than imported, so that a missing or unloadable addon
 * is a choice for driver-choice.ts to make, not a failure to load this package.
 */
export function loadBetterSqlite3(): SqliteDriver {
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  // The binary is loaded by the first `new Database()`: an addon built for another ABI fails here.
  new Database(':memory:').close();
  return {
    name: 'better-sqlite3',
    open: (path, options = {}) => new Database(path, options.readonly === true ? { readonly: true, fileMustExist: true } : {}) as unknown as SqliteDatabase,
  };
}
