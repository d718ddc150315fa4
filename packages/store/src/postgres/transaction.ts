import type { Pool, PoolClient } from 'pg';

/**
 * Runs `body` in a transaction on one pooled connection: COMMIT if it resolves, ROLLBACK if it
 * throws (the error is rethrown). A connection that could not even roll back is discarded
 * instead of being returned to the pool in an unknown state.
 */
export async function inTransaction<T>(pool: Pool, begin: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  try {
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
