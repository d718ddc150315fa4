import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openStore, type DecisionStore, type OpenStoreOptions } from '@decision-trace/store';

const SQLITE_SCHEME = 'sqlite:';

/** A store a read-only command was pointed at that is not there: say so rather than make one. */
export class MissingStoreError extends Error {}

/**
 * Opens a store for a command that only reads it (`verify`, `lint`, `replay`). Opening a SQLite
 * path creates the file, so a typo would silently "verify" a new empty ledger and leave an empty
 * database behind: a path that does not exist is refused before anything is opened.
 */
export async function openExistingStore(url: string, options: OpenStoreOptions = {}): Promise<DecisionStore> {
  if (url.startsWith(SQLITE_SCHEME)) {
    const path = url.slice(SQLITE_SCHEME.length);
    if (path !== '' && path !== ':memory:' && !existsSync(path)) {
      throw new MissingStoreError(
        `no store at ${url}: ${resolve(path)} does not exist (nothing was created); check the path, or start the collector to create it`,
      );
    }
  }
  return openStore(url, options);
}
