import Database from 'better-sqlite3';

/**
 * better-sqlite3 is a native addon: its binary is built for one Node.js ABI. Run on another
 * runtime (an upgrade of Node without `npm rebuild`), loading it fails deep inside the first
 * `new Database()` — in the store's worker thread, where the error is hard to read. Opening an
 * in-memory database once on the caller's thread turns that into one plain message.
 */
let checked = false;

export function assertSqliteAddonLoads(): void {
  if (checked) return;
  try {
    new Database(':memory:').close();
    checked = true;
  } catch (error) {
    throw new Error(explainAddonError(error), { cause: error });
  }
}

/** A plain explanation of a failure to load the addon, naming this runtime and the fix. */
export function explainAddonError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const runtime = `Node.js ${process.version} (ABI ${process.versions.modules})`;
  const built = /NODE_MODULE_VERSION (\d+)/.exec(text)?.[1];
  if (built !== undefined) {
    return (
      `the SQLite store cannot load: better-sqlite3 was built for another Node.js (ABI ${built}) ` +
      `than this ${runtime}; run \`npm rebuild better-sqlite3\` with this Node.js`
    );
  }
  if (text.includes('Could not locate the bindings file')) {
    return `the SQLite store cannot load: better-sqlite3 has no native binary for this ${runtime}; run \`npm rebuild better-sqlite3\` with this Node.js`;
  }
  return `the SQLite store cannot load better-sqlite3 on ${runtime}: ${text}`;
}
