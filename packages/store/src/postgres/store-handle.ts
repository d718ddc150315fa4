import type pg from 'pg';
import type { WitnessWriter } from '../witness/witness-writer.js';

/**
 * What the PostgreSQL store's concern modules (ledger writer, reads, stats, audit log,
 * verification, retention) share: the connection pool, whether the store was closed, and the
 * witness writer once attached.
 */
export class PostgresStoreHandle {
  closed = false;
  witness: WitnessWriter | null = null;

  constructor(readonly pool: pg.Pool) {}

  assertOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }
}
