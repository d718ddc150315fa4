export type { AlertLog, AuditLogStore, ClosableStore, DecisionReader, LedgerVerifier, LedgerWriter, StatsReader, StoreMaintenance } from './store.js';
export type {
  AppendResult,
  AuditEntry,
  AuditPage,
  AuditQuery,
  ConfidenceBin,
  DecisionDetail,
  DecisionFilter,
  DecisionQuery,
  DecisionStats,
  DecisionStore,
  DurationPercentiles,
  EvidenceMatch,
  LedgerCheckpoint,
  LedgerEntry,
  LedgerProblem,
  LedgerVerification,
  VerifyLedgerOptions,
  NeighborQuery,
  OutcomeCount,
  QueryPage,
  RetentionPolicy,
  RetentionResult,
  StatsOutcome,
  StatsQuery,
  StatsSeriesPoint,
  TokenUsageTotals,
  TraceDetail,
  VerifyOptions,
  WeightedCount,
  WitnessOptions,
} from './store.js';
export type { AlertFilter, AlertOutcomeCount, AlertPage, AlertQuery, AlertWindow, DecisionAlert } from './alert.js';
export { readWitnessFile } from './witness/witness-file.js';
export { DEFAULT_WITNESS_INTERVAL_MS } from './witness/witness-writer.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
export { withoutPassword } from './postgres/postgres-url.js';
export { SqliteDecisionStore } from './sqlite/sqlite-store.js';
export { SQLITE_DRIVER_ENV, sqliteDriverInUse, type SqliteDriverChoice } from './sqlite/driver-choice.js';
export type { SqliteDriverName } from './sqlite/sqlite-driver.js';
// Types only: `pg` is loaded when openStore is given a postgres:// URL, not with this package.
export type { PostgresDecisionStore, PostgresStoreOptions } from './postgres/postgres-store.js';
// Loading a large store once (the benchmark fixture); imports only `pg`'s types.
export { bulkLoadPostgres, prepareBulkLoad, type BulkLoadInput, type BulkLoadResult, type PreparedBulkLoad } from './postgres/bulk-load.js';
export { WorkerDecisionStore, type WorkerStoreOptions } from './worker/worker-store.js';
export { InvalidQueryError } from './invalid-query-error.js';
export { DURATION_RELATIVE_ACCURACY } from './duration-sketch.js';
export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT, normalizeDecisionQuery, type NormalizedDecisionQuery } from './decision-query.js';
export { decisionSortTime, decodeCursor, encodeCursor, type DecisionSortKey } from './decision-order.js';
export { GENESIS_HASH, ledgerCanonicalJson, canonicalLedgerEntry, chainHash, ledgerRowHash, type HashedLedgerFields } from './ledger-hash.js';
export { LedgerChainVerifier, type StoredLedgerRow } from './ledger-verifier.js';
export { rfc3339ToEpochMicros } from './instant.js';
export { governingRetentionPolicy, planRetention, validateRetentionPolicies, type RetentionTarget, type StoredDecisionKind } from './retention-policy.js';
export { compareContextSpans } from './context-span-order.js';
export type { AppendCall } from './append-call.js';
export { MAX_NEIGHBORS, neighborLimit } from './neighbor-limit.js';
export {
  DEFAULT_GRAPH_DEPTH,
  MAX_GRAPH_DEPTH,
  MAX_GRAPH_NODES,
  walkDecisionGraph,
  type DecisionGraph,
  type DecisionGraphEdge,
  type DecisionGraphNode,
} from './decision-graph.js';
export {
  NO_OUTCOME,
  chiSquareStatistic,
  contingencyTable,
  cramersV,
  outcomeDrift,
  type ContingencyTable,
  type OutcomeCounts,
  type OutcomeDrift,
} from '@decision-trace/model';
export { chiSquareSurvival } from '@decision-trace/model';
