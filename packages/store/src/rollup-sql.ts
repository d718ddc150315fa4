import type { NormalizedDecisionFilter } from './decision-query.js';
import { ROLLUP_BIN_COLUMNS, rollupKey, type RollupDelta } from './stats-rollup.js';

/**
 * The SQL both backends share for the hourly roll-ups (stats-rollup.ts): the table's columns,
 * the conditions of a stats filter on it, and the upsert's SET clause that adds a delta.
 */

/** The columns of decision_rollups in the order a delta binds them (durations last). */
export const ROLLUP_COLUMNS = [
  'hour',
  'tenant_id',
  'type_key',
  'version_key',
  'outcome_key',
  'count',
  'weighted_count',
  'token_decisions',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  ...ROLLUP_BIN_COLUMNS,
  'durations',
] as const;

export const ROLLUP_KEY_COLUMNS = ['hour', 'tenant_id', 'type_key', 'version_key', 'outcome_key'] as const;

/** A delta's ROLLUP_KEY_COLUMNS values, in that order. */
export function rollupDeltaKey(delta: RollupDelta): [hour: number, tenant: string, typeKey: string, versionKey: string, outcomeKey: string] {
  return [delta.hour, delta.tenant, delta.typeKey, delta.versionKey, delta.outcomeKey];
}

/**
 * A delta's values in ROLLUP_COLUMNS order, as both backends' upserts bind them, so that the
 * order lives here only. `durations` is the sketch the writer merged with the stored one, or
 * null when the delta has none (the upsert then keeps the stored sketch).
 */
export function rollupDeltaValues(delta: RollupDelta, durations: Uint8Array | null): unknown[] {
  return [
    ...rollupDeltaKey(delta),
    delta.count,
    delta.weightedCount,
    delta.tokenDecisions,
    delta.inputTokens,
    delta.outputTokens,
    delta.totalTokens,
    ...delta.bins,
    durations,
  ];
}

/**
 * SET clause of the upsert: the sums add the delta; durations, merged by the writer (it holds
 * the tenant's write lock, so it read the row's current sketch), replace the stored ones, or
 * stay when NULL is given (the delta has no durations).
 */
export function rollupMergeAssignments(): string {
  const additive = ROLLUP_COLUMNS.filter((column) => !(ROLLUP_KEY_COLUMNS as readonly string[]).includes(column) && column !== 'durations');
  const sums = additive.map((column) => `${column} = decision_rollups.${column} + excluded.${column}`);
  const durations = 'durations = CASE WHEN excluded.durations IS NULL THEN decision_rollups.durations ELSE excluded.durations END';
  return [...sums, durations].join(',\n      ');
}

/** The conditions of a stats filter (rollup dimensions only) on decision_rollups, for hours [from, to). */
export function rollupConditions(filter: NormalizedDecisionFilter, hours: { from: number; to: number }, bind: (value: unknown) => string): string[] {
  const conditions = [`hour >= ${bind(hours.from)}`, `hour < ${bind(hours.to)}`];
  if (filter.tenant !== null) conditions.push(`tenant_id = ${bind(filter.tenant)}`);
  if (filter.type !== null) conditions.push(`type_key = ${bind(rollupKey(filter.type))}`);
  for (const version of filter.versions) conditions.push(`version_key = ${bind(rollupKey(version))}`);
  if (filter.outcome !== null) conditions.push(`outcome_key = ${bind(rollupKey(filter.outcome))}`);
  return conditions;
}
