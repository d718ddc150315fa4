// PostgreSQL for the multi-process tests: whether the machine's server answers, and a schema of
// the test's own (dropped afterwards) in its `test` database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.DECISION_TRACE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL tests cannot run here, or undefined when the server answers. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    const where = new URL(POSTGRES_URL);
    return `PostgreSQL is not reachable at ${where.host}${where.pathname} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A storage URL with a fresh schema, and how to drop it. */
export function freshSchema(prefix: string): { url: string; drop(): Promise<void> } {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
