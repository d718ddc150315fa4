import { loadBetterSqlite3 } from './better-sqlite3-driver.js';
import { explainAddonError } from './native-addon.js';
import { loadNodeSqlite, NODE_SQLITE_RUNTIMES } from './node-sqlite-driver.js';
import type { SqliteDatabase, SqliteDriver, SqliteDriverName, SqliteOpenOptions } from './sqlite-driver.js';

/** The environment variable that names the SQLite driver: `better-sqlite3`, `node:sqlite` or `auto` (the default). */
export const SQLITE_DRIVER_ENV = 'DT_SQLITE_DRIVER';
const DRIVER_NAMES: readonly SqliteDriverName[] = ['better-sqlite3', 'node:sqlite'];

/** The driver in use and, when it is not the one `auto` prefers, why. */
export interface SqliteDriverChoice {
  driver: SqliteDriver;
  /** Set when better-sqlite3 could not be loaded and node:sqlite stands in. */
  fallbackReason?: string;
}

let choice: SqliteDriverChoice | null = null;

/**
 * The SQLite driver of this thread, chosen once: `DT_SQLITE_DRIVER` when set; else better-sqlite3
 * when its addon loads, and node:sqlite when it does not (an addon built for another Node.js ABI,
 * or none built: an install without a C++ toolchain) and this Node.js has it (24, a recent 22).
 * better-sqlite3 comes first because it measured as fast or faster: ingest costs the same CPU
 * on both (within 5%), reads up to half as much again on node:sqlite (see the store's README).
 * Each thread chooses for itself, from the same runtime and environment: the same choice.
 * Throws a plain explanation when there is no driver to use.
 */
export function sqliteDriverChoice(): SqliteDriverChoice {
  return (choice ??= choose(process.env[SQLITE_DRIVER_ENV]));
}

/** Opens `path` with this thread's driver. */
export function openSqlite(path: string, options?: SqliteOpenOptions): SqliteDatabase {
  return sqliteDriverChoice().driver.open(path, options);
}

/** The driver the SQLite stores of this process use, once one was opened (or chosen); null before. */
export function sqliteDriverInUse(): SqliteDriverChoice | null {
  return choice;
}

function choose(setting: string | undefined): SqliteDriverChoice {
  const wanted = setting === undefined || setting === '' ? 'auto' : setting;
  if (wanted !== 'auto' && !(DRIVER_NAMES as readonly string[]).includes(wanted)) {
    throw new Error(`${SQLITE_DRIVER_ENV}="${wanted}" is not a SQLite driver; expected ${DRIVER_NAMES.join(', ')} or auto`);
  }
  if (wanted === 'node:sqlite') {
    const driver = loadNodeSqlite();
    if (driver === null) throw new Error(`${SQLITE_DRIVER_ENV}=node:sqlite, but ${noNodeSqlite()}`);
    return { driver };
  }
  let addonError: unknown;
  try {
    return { driver: loadBetterSqlite3() };
  } catch (error) {
    addonError = error;
  }
  const explanation = explainAddonError(addonError);
  if (wanted === 'better-sqlite3') throw new Error(explanation, { cause: addonError });
  const driver = loadNodeSqlite();
  if (driver === null) throw new Error(`${explanation} (or use ${NODE_SQLITE_RUNTIMES}, whose built-in node:sqlite needs no addon)`, { cause: addonError });
  return { driver, fallbackReason: explanation };
}

function noNodeSqlite(): string {
  return `Node.js ${process.version} has no node:sqlite the store can use (${NODE_SQLITE_RUNTIMES} have it)`;
}
