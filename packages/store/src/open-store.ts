import type { DecisionStore } from './store.js';
import { SqliteDecisionStore } from './sqlite/sqlite-store.js';

const SQLITE_SCHEME = 'sqlite:';

/**
 * Opens a store from a storage URL: `sqlite:<path>` (everything after `sqlite:` is the path,
 * relative to the working directory or absolute) or `sqlite::memory:`.
 */
export async function openStore(url: string): Promise<DecisionStore> {
  if (url.startsWith(SQLITE_SCHEME)) {
    const path = url.slice(SQLITE_SCHEME.length);
    if (path === '') throw new Error(`storage URL "${url}" has no path; expected sqlite:<path> or sqlite::memory:`);
    return new SqliteDecisionStore(path);
  }
  throw new Error(`unsupported storage URL "${withoutPassword(url)}"; expected sqlite:<path>`);
}

/** Error messages end up in logs; a database URL may carry a password. */
function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}
