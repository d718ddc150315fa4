import { chainHash, GENESIS_HASH, ledgerCanonicalJson } from './ledger-hash.js';
import type { LedgerProblem } from './store.js';

/**
 * The audit log's hash chain, like the ledger's (ledger-hash.ts) but one chain for the whole
 * log: entry `seq` (1, 2, 3… without gaps) has hash = SHA-256 hex of `prev_hash + "\n" +` the
 * canonical JSON of its stored fields, the first entry chaining from GENESIS_HASH. An entry
 * edited, deleted or inserted behind the store breaks it; entries deleted from its end are
 * caught by the witness file (witness/).
 */

/** An audit_log row as any backend reads it back; `query` is the stored JSON text. */
export interface StoredAuditRow {
  row_id: number;
  /** null: a row the store never chained (inserted behind its back). */
  seq: number | null;
  at: string;
  key_name: string;
  role: string;
  tenant: string | null;
  method: string;
  path: string;
  query: string;
  status: number;
  prev_hash: string | null;
  hash: string | null;
}

export type AuditChainFields = Omit<StoredAuditRow, 'row_id' | 'prev_hash' | 'hash' | 'seq'> & { seq: number };

export function auditEntryHash(prevHash: string, fields: AuditChainFields): string {
  return chainHash(
    prevHash,
    ledgerCanonicalJson({
      at: fields.at,
      key_name: fields.key_name,
      method: fields.method,
      path: fields.path,
      query: fields.query,
      role: fields.role,
      seq: fields.seq,
      status: fields.status,
      tenant: fields.tenant,
    }),
  );
}

/** The chain position after `tail` (null: an empty log). */
export function nextAuditLink(tail: { seq: number; hash: string } | null): { seq: number; prevHash: string } {
  return tail === null ? { seq: 1, prevHash: GENESIS_HASH } : { seq: tail.seq + 1, prevHash: tail.hash };
}

/** Walks audit rows fed in seq order (rows without a seq last) and finds the first that breaks the chain. */
export class AuditChainVerifier {
  #checked = 0;
  #tail: { seq: number; hash: string } | null = null;

  get checked(): number {
    return this.#checked;
  }

  check(row: StoredAuditRow): LedgerProblem | null {
    this.#checked += 1;
    const expected = nextAuditLink(this.#tail);
    if (row.seq === null || row.prev_hash === null || row.hash === null) {
      return problem(row, expected.seq, 'an audit entry the store did not chain (written behind its back)');
    }
    if (row.seq !== expected.seq) {
      return problem(row, row.seq, `audit seq gap: expected ${expected.seq}, found ${row.seq} (entries deleted)`);
    }
    if (row.prev_hash !== expected.prevHash) return problem(row, row.seq, 'audit prev_hash does not match the previous entry');
    if (auditEntryHash(row.prev_hash, { ...row, seq: row.seq }) !== row.hash) {
      return problem(row, row.seq, 'audit entry hash mismatch (the entry was edited)');
    }
    this.#tail = { seq: row.seq, hash: row.hash };
    return null;
  }
}

function problem(row: StoredAuditRow, seq: number, reason: string): LedgerProblem {
  return { tenant_id: row.tenant ?? '', seq, event_id: '', row: row.row_id, reason, kind: 'audit' };
}

/** The hashes of rows stored before the chain existed, in row_id order (the migration backfill). */
export function chainExistingAuditRows(rows: readonly StoredAuditRow[]): Array<{ row_id: number; seq: number; prev_hash: string; hash: string }> {
  let tail: { seq: number; hash: string } | null = null;
  return rows.map((row) => {
    const { seq, prevHash } = nextAuditLink(tail);
    const hash = auditEntryHash(prevHash, { ...row, seq });
    tail = { seq, hash };
    return { row_id: row.row_id, seq, prev_hash: prevHash, hash };
  });
}
