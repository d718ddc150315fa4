/**
 * better-sqlite3 is a native addon: its binary is built for one Node.js ABI. Run on another
 * runtime (an upgrade of Node without `npm rebuild`), or installed without its binary (no C++
 * toolchain), loading it fails deep inside the first `new Database()`. driver-choice.ts turns
 * that into one plain sentence: the reason it falls back to node:sqlite, or the error where
 * there is nothing to fall back to (Node.js 20).
 */
export function explainAddonError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
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
  if (code === 'MODULE_NOT_FOUND' && text.includes("'better-sqlite3'")) {
    return `the SQLite store cannot load: better-sqlite3 is not installed; run \`npm install better-sqlite3\` with this Node.js`;
  }
  return `the SQLite store cannot load better-sqlite3 on ${runtime}: ${text}`;
}
