import type { LedgerProblem } from '../store.js';
import type { ChainHeads } from './chain-heads.js';

/** What the store holds where a witnessed head points; each backend answers from its snapshot. */
export interface WitnessLookup {
  /** The hash of the tenant's ledger row at seq; undefined when there is no row. */
  ledgerHash(tenant: string, seq: number): Promise<string | undefined> | string | undefined;
  /** The tenant's newest retention checkpoint; rows at or below its seq were removed on purpose. */
  newestCheckpoint(tenant: string): Promise<{ seq: number; hash: string } | undefined> | { seq: number; hash: string } | undefined;
  /** The hash of the audit entry at seq; undefined when there is none. */
  auditHash(seq: number): Promise<string | undefined> | string | undefined;
}

/**
 * Every head the witness saw must still be in the store with the same hash: a tenant whose
 * chain was deleted (with its records), rows deleted from a chain's end, or audit entries
 * deleted from the log's end leave a witnessed head without its row. A head that retention has
 * since removed (at or below the tenant's checkpoint) is accepted; the checkpoint's own hash
 * must match when it is exactly at the head.
 */
export async function checkWitness(witnessed: ChainHeads, lookup: WitnessLookup, opts: { tenant: string | null }): Promise<LedgerProblem | null> {
  const tenants = [...witnessed.ledger.keys()].filter((t) => opts.tenant === null || t === opts.tenant).sort();
  for (const tenant of tenants) {
    const head = witnessed.ledger.get(tenant)!;
    const problem = (reason: string): LedgerProblem => ({ tenant_id: tenant, seq: head.seq, event_id: '', row: 0, reason, kind: 'witness' });
    const hash = await lookup.ledgerHash(tenant, head.seq);
    if (hash === undefined) {
      const checkpoint = await lookup.newestCheckpoint(tenant);
      if (checkpoint !== undefined && head.seq <= checkpoint.seq) {
        if (head.seq === checkpoint.seq && checkpoint.hash !== head.hash) return problem('the checkpoint at the witnessed head has another hash');
        continue;
      }
      return problem(
        `the witness saw tenant ${JSON.stringify(tenant)}'s chain reach seq ${head.seq}, but the ledger has no row there (rows or the whole chain deleted)`,
      );
    }
    if (hash !== head.hash) return problem(`the ledger row at the witnessed head seq ${head.seq} has another hash than the witness saw`);
  }
  if (opts.tenant === null && witnessed.audit !== null) {
    const head = witnessed.audit;
    const hash = await lookup.auditHash(head.seq);
    const problem = (reason: string): LedgerProblem => ({ tenant_id: '', seq: head.seq, event_id: '', row: 0, reason, kind: 'witness' });
    if (hash === undefined) return problem(`the witness saw the audit log reach seq ${head.seq}, but it has no entry there (entries deleted)`);
    if (hash !== head.hash) return problem(`the audit entry at the witnessed head seq ${head.seq} has another hash than the witness saw`);
  }
  return null;
}
