/**
 * How retention removes ledger rows without breaking verification, the same in every backend.
 *
 * Deleting an expired decision prunes its ledger rows in place: the event and the columns copied
 * from it are emptied, while seq, event_id, prev_hash and hash stay, so the chain still links
 * across them (and a redelivered event_id is still a duplicate). Once the oldest rows of a chain
 * are all pruned, they are deleted behind a checkpoint that keeps the last deleted row's seq and
 * hash, from which verification then starts.
 */

/** Expired decisions handled per transaction, so that appends wait for one short step at a time. */
export const RETENTION_BATCH_DECISIONS = 500;

export interface ChainExtent {
  /** seq of the tenant's newest checkpoint, 0 if none. */
  checkpointSeq: number;
  /** Smallest seq whose row still holds its event; null if every row is pruned. */
  firstLiveSeq: number | null;
  /** The chain's newest seq. */
  lastSeq: number;
}

/**
 * The seq through which rows can be deleted behind a new checkpoint, or null when there is
 * nothing new to cut. The chain's last row is always kept, even pruned: a writer then still finds
 * the chain's end in the ledger itself, and verification can tell a chain cut at its end (rows
 * missing) from one that merely lost its old rows.
 */
export function checkpointThrough(chain: ChainExtent): number | null {
  const through = Math.min(chain.firstLiveSeq ?? chain.lastSeq, chain.lastSeq) - 1;
  return through > chain.checkpointSeq ? through : null;
}
