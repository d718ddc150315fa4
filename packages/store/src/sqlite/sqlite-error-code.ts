/**
 * SQLite's result-code names (sqlite3.h), for node:sqlite's errors: they carry the numeric
 * extended code (`errcode`) where better-sqlite3's carry its name in `code`, which the store
 * tests (a seq conflict is SQLITE_CONSTRAINT_UNIQUE) and operators search logs for (SQLITE_BUSY).
 */
const PRIMARY: Record<number, string> = {
  0: 'OK',
  1: 'ERROR',
  2: 'INTERNAL',
  3: 'PERM',
  4: 'ABORT',
  5: 'BUSY',
  6: 'LOCKED',
  7: 'NOMEM',
  8: 'READONLY',
  9: 'INTERRUPT',
  10: 'IOERR',
  11: 'CORRUPT',
  12: 'NOTFOUND',
  13: 'FULL',
  14: 'CANTOPEN',
  15: 'PROTOCOL',
  16: 'EMPTY',
  17: 'SCHEMA',
  18: 'TOOBIG',
  19: 'CONSTRAINT',
  20: 'MISMATCH',
  21: 'MISUSE',
  22: 'NOLFS',
  23: 'AUTH',
  24: 'FORMAT',
  25: 'RANGE',
  26: 'NOTADB',
  27: 'NOTICE',
  28: 'WARNING',
  100: 'ROW',
  101: 'DONE',
};

/** Extended codes are `primary | (n << 8)`: each primary's suffixes by n, from n = 1. */
const EXTENDED: Record<number, ReadonlyArray<string | undefined>> = {
  0: ['LOAD_PERMANENTLY', 'SYMLINK'],
  1: ['MISSING_COLLSEQ', 'RETRY', 'SNAPSHOT', 'RESERVESIZE', 'KEY', 'UNABLE'],
  4: [undefined, 'ROLLBACK'],
  5: ['RECOVERY', 'SNAPSHOT', 'TIMEOUT'],
  6: ['SHAREDCACHE', 'VTAB'],
  8: ['RECOVERY', 'CANTLOCK', 'ROLLBACK', 'DBMOVED', 'CANTINIT', 'DIRECTORY'],
  10: [
    'READ',
    'SHORT_READ',
    'WRITE',
    'FSYNC',
    'DIR_FSYNC',
    'TRUNCATE',
    'FSTAT',
    'UNLOCK',
    'RDLOCK',
    'DELETE',
    'BLOCKED',
    'NOMEM',
    'ACCESS',
    'CHECKRESERVEDLOCK',
    'LOCK',
    'CLOSE',
    'DIR_CLOSE',
    'SHMOPEN',
    'SHMSIZE',
    'SHMLOCK',
    'SHMMAP',
    'SEEK',
    'DELETE_NOENT',
    'MMAP',
    'GETTEMPPATH',
    'CONVPATH',
    'VNODE',
    'AUTH',
    'BEGIN_ATOMIC',
    'COMMIT_ATOMIC',
    'ROLLBACK_ATOMIC',
    'DATA',
    'CORRUPTFS',
    'IN_PAGE',
  ],
  11: ['VTAB', 'SEQUENCE', 'INDEX'],
  14: ['NOTEMPDIR', 'ISDIR', 'FULLPATH', 'CONVPATH', 'DIRTYWAL', 'SYMLINK'],
  19: ['CHECK', 'COMMITHOOK', 'FOREIGNKEY', 'FUNCTION', 'NOTNULL', 'PRIMARYKEY', 'TRIGGER', 'UNIQUE', 'VTAB', 'ROWID', 'PINNED', 'DATATYPE'],
  23: ['USER'],
  27: ['RECOVER_WAL', 'RECOVER_ROLLBACK', 'RBU'],
  28: ['AUTOINDEX'],
};

/** `SQLITE_CONSTRAINT_UNIQUE` for 2067; an unknown extended code falls back to its primary's name. */
export function sqliteCodeName(code: number): string {
  const primary = code & 0xff;
  const base = PRIMARY[primary] ?? 'UNKNOWN';
  const suffix = EXTENDED[primary]?.[(code >> 8) - 1];
  return suffix === undefined ? `SQLITE_${base}` : `SQLITE_${base}_${suffix}`;
}

/** node:sqlite's error with `code` set as better-sqlite3 sets it (the numeric code stays in `errcode`). */
export function withSqliteCode(error: unknown): unknown {
  if (error instanceof Error) {
    const fields = error as Error & { code?: unknown; errcode?: unknown };
    if (fields.code === 'ERR_SQLITE_ERROR' && typeof fields.errcode === 'number') fields.code = sqliteCodeName(fields.errcode);
  }
  return error;
}
