import { parseJsonExact } from '@decision-trace/model';
import { ledgerCanonicalJson, canonicalLedgerEntry, chainHash, GENESIS_HASH } from './ledger-hash.js';
import type { LedgerCheckpoint, LedgerProblem } from './store.js';

/** A ledger row as any backend reads it back. */
export interface StoredLedgerRow {
  row: number;
  tenant_id: string;
  seq: number;
  event_id: string;
  decision_id: string;
  event_type: string;
  timestamp: string;
  received_at: string;
  /**
   * JSON text, or the already parsed value (e.g. from a jsonb column). '' or null once retention
   * pruned the row: then only its place in the chain can be checked, not its content.
   */
  event: unknown;
  prev_hash: string;
  hash: string;
}

/** Columns copied out of the event for indexing; they must agree with the hashed event. */
const DENORMALISED_COLUMNS = ['tenant_id', 'event_id', 'decision_id', 'event_type', 'timestamp'] as const;

interface ChainTail {
  seq: number;
  row: number;
  eventId: string;
  /** Rows of the chain that still hold their event. */
  live: number;
}

interface ChainStart {
  seq: number;
  hash: string;
}

/**
 * Walks ledger rows fed in (tenant_id, seq) order and finds the first row that breaks its
 * tenant's chain: a seq gap (a deleted row), a prev_hash that is not the previous row's hash
 * (a deleted or reordered row), a hash that does not match the row's content (an edited row),
 * or an indexed column that disagrees with the event. `finish` then catches rows deleted from
 * the end of a chain, which no link can reveal, by comparing each chain's length with the
 * number of events the tenant's decision records say they were built from.
 *
 * After retention a chain starts at its tenant's newest checkpoint (see startFromCheckpoints)
 * instead of at seq 1 and the genesis hash, and pruned rows hold only their links.
 */
export class LedgerChainVerifier {
  #checked = 0;
  #tenant: string | null = null;
  #prevHash = GENESIS_HASH;
  readonly #tails = new Map<string, ChainTail>();
  readonly #starts = new Map<string, ChainStart>();

  get checked(): number {
    return this.#checked;
  }

  /**
   * Call before the first row, with every checkpoint in (tenant_id, seq) order. Each must remove
   * exactly the rows between the previous one and itself; the newest is where its chain starts.
   */
  startFromCheckpoints(checkpoints: Iterable<LedgerCheckpoint>): LedgerProblem | null {
    for (const checkpoint of checkpoints) {
      const previous = this.#starts.get(checkpoint.tenant_id)?.seq ?? 0;
      if (checkpoint.seq <= previous || checkpoint.removed !== checkpoint.seq - previous) {
        return {
          tenant_id: checkpoint.tenant_id,
          seq: checkpoint.seq,
          event_id: '',
          row: 0,
          reason: `checkpoint at seq ${checkpoint.seq} says it removed ${checkpoint.removed} rows, but the previous checkpoint is at seq ${previous}`,
        };
      }
      this.#starts.set(checkpoint.tenant_id, { seq: checkpoint.seq, hash: checkpoint.hash });
    }
    return null;
  }

  check(row: StoredLedgerRow): LedgerProblem | null {
    this.#checked += 1;
    if (row.tenant_id !== this.#tenant) {
      this.#tenant = row.tenant_id;
      this.#prevHash = this.#starts.get(row.tenant_id)?.hash ?? GENESIS_HASH;
    }
    const tail = this.#tails.get(row.tenant_id);
    const expectedSeq = (tail?.seq ?? this.#starts.get(row.tenant_id)?.seq ?? 0) + 1;
    if (row.seq !== expectedSeq) return problem(row, `seq gap: expected ${expectedSeq}, found ${row.seq}`);
    if (row.prev_hash !== this.#prevHash) return problem(row, 'prev_hash does not match previous row');
    const live = tail?.live ?? 0;
    if (row.event === '' || row.event === null) {
      this.#prevHash = row.hash;
      this.#tails.set(row.tenant_id, { seq: row.seq, row: row.row, eventId: row.event_id, live });
      return null;
    }

    const event = parseEvent(row.event);
    if (event === undefined) return problem(row, 'event is not a JSON object');
    const entry = canonicalLedgerEntry(row.tenant_id, row.seq, row.received_at, ledgerCanonicalJson(event));
    if (chainHash(row.prev_hash, entry) !== row.hash) return problem(row, 'hash mismatch');
    for (const column of DENORMALISED_COLUMNS) {
      if (event[column] !== row[column]) return problem(row, `${column} column does not match the event`);
    }

    this.#prevHash = row.hash;
    this.#tails.set(row.tenant_id, { seq: row.seq, row: row.row, eventId: row.event_id, live: live + 1 });
    return null;
  }

  /** `recordEventCounts`: tenant → sum of event_count over its decision records. */
  finish(recordEventCounts: ReadonlyMap<string, number>): LedgerProblem | null {
    const tenants = [...new Set([...this.#tails.keys(), ...recordEventCounts.keys(), ...this.#starts.keys()])].sort();
    for (const tenant of tenants) {
      const tail = this.#tails.get(tenant);
      const start = this.#starts.get(tenant);
      const lastSeq = tail?.seq ?? start?.seq ?? 0;
      if (tail === undefined && start !== undefined) {
        // Retention never removes a chain's last row, so a checkpoint is always followed by one.
        return missingAtEnd(tenant, lastSeq, `nothing follows the checkpoint at seq ${start.seq}`);
      }
      const live = tail?.live ?? 0;
      const counted = recordEventCounts.get(tenant) ?? 0;
      if (live < counted) {
        return missingAtEnd(tenant, lastSeq, `the chain ends at seq ${lastSeq} with ${live} events but decision records count ${counted} events`);
      }
      if (live > counted && tail !== undefined) {
        return {
          tenant_id: tenant,
          seq: tail.seq,
          event_id: tail.eventId,
          row: tail.row,
          reason: `decision records count ${counted} events but the chain holds ${live}`,
        };
      }
    }
    return null;
  }
}

function missingAtEnd(tenant: string, lastSeq: number, detail: string): LedgerProblem {
  return { tenant_id: tenant, seq: lastSeq + 1, event_id: '', row: 0, reason: `rows missing at the end: ${detail}` };
}

function parseEvent(stored: unknown): Record<string, unknown> | undefined {
  let value = stored;
  if (typeof stored === 'string') {
    try {
      // Exact: the hashed text wrote integers beyond 2^53 with all their digits.
      value = parseJsonExact(stored);
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function problem(row: StoredLedgerRow, reason: string): LedgerProblem {
  return { tenant_id: row.tenant_id, seq: row.seq, event_id: row.event_id, row: row.row, reason };
}
