export type {
  AppendResult,
  DecisionDetail,
  DecisionQuery,
  DecisionStore,
  LedgerEntry,
  LedgerProblem,
  LedgerVerification,
  QueryPage,
} from './store.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
export { SqliteDecisionStore } from './sqlite/sqlite-store.js';
export { WorkerDecisionStore, type WorkerStoreOptions } from './worker/worker-store.js';
export { InvalidQueryError } from './invalid-query-error.js';
export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, normalizeDecisionQuery, type NormalizedDecisionQuery } from './decision-query.js';
export { decisionSortTime, decodeCursor, encodeCursor, type DecisionSortKey } from './decision-order.js';
export {
  GENESIS_HASH,
  ledgerCanonicalJson,
  canonicalLedgerEntry,
  chainHash,
  ledgerRowHash,
  type HashedLedgerFields,
} from './ledger-hash.js';
export { LedgerChainVerifier, type StoredLedgerRow } from './ledger-verifier.js';
export { rfc3339ToEpochMicros } from './instant.js';
