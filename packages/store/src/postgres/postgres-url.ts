/** What the PostgreSQL store connects to: a libpq-style URL and the schema its tables live in. */
export interface PostgresTarget {
  /** The URL handed to `pg`, without the `schema` parameter, with a search_path option when a schema is given. */
  connectionString: string;
  /** From `?schema=`; null: the server's default search_path (usually `public`). */
  schema: string | null;
}

const POSTGRES_SCHEMES = new Set(['postgres:', 'postgresql:']);
/** Unquoted identifiers only: the name goes into a startup option and into DDL. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(url);
}

/**
 * Reads `postgres://user:password@host:port/database?schema=name&…`. The schema is created if
 * missing; every connection of the store uses it as its search_path, so that several stores
 * (tenants' deployments, tests) can share one database without seeing each other's tables.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`invalid PostgreSQL URL "${withoutPassword(url)}"`);
  }
  if (!POSTGRES_SCHEMES.has(parsed.protocol.toLowerCase())) {
    throw new Error(`"${withoutPassword(url)}" is not a PostgreSQL URL; expected postgres://… or postgresql://…`);
  }
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema === null) return { connectionString: parsed.toString(), schema: null };
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema "${schema}" in the PostgreSQL URL: expected letters, digits and _ (at most 63), not starting with a digit`);
  }
  // `pg` copies query parameters into the connection settings; `options` is sent to the server
  // at startup, so the search_path holds before the first statement of every connection.
  const options = parsed.searchParams.get('options');
  const searchPath = `-c search_path=${schema}`;
  parsed.searchParams.set('options', options === null || options.trim() === '' ? searchPath : `${options} ${searchPath}`);
  return { connectionString: parsed.toString(), schema };
}

/** Error messages end up in logs; a database URL may carry a password. */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}
