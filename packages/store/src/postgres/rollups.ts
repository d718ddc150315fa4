import type pg from 'pg';
import type { DecisionRecord } from '@decision-trace/model';
import { postgresDurationBucketSql } from '../duration-sketch.js';
import { ROLLUP_COLUMNS, ROLLUP_KEY_COLUMNS, rollupDeltaKey, rollupDeltaValues, rollupMergeAssignments } from '../rollup-sql.js';
import { HOUR_MICROS, ROLLUP_BIN_COLUMNS, RollupDeltas, type RollupDelta } from '../stats-rollup.js';

/** The unnest column types of ROLLUP_COLUMNS, in order. */
const COLUMN_TYPES = [
  'bigint',
  'text',
  'text',
  'text',
  'text',
  'bigint',
  'float8',
  'bigint',
  'float8',
  'float8',
  'float8',
  ...ROLLUP_BIN_COLUMNS.map(() => 'bigint'),
  'bytea',
];

const UPSERT_SQL = `INSERT INTO decision_rollups (${ROLLUP_COLUMNS.join(', ')})
  SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
  ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(', ')}) DO UPDATE SET
  ${rollupMergeAssignments()}`;

const KEYS_UNNEST = 'unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])';

const STORED_DURATIONS_SQL = `SELECT ${ROLLUP_KEY_COLUMNS.join(', ')}, durations FROM decision_rollups
  WHERE (${ROLLUP_KEY_COLUMNS.join(', ')}) IN (SELECT * FROM ${KEYS_UNNEST})`;

/** Rows left with nothing to count (every decision they counted changed group or went). */
const DELETE_EMPTY_SQL = `DELETE FROM decision_rollups WHERE count = 0 AND (${ROLLUP_KEY_COLUMNS.join(', ')}) IN (SELECT * FROM ${KEYS_UNNEST})`;

/**
 * Adds a transaction's roll-up deltas (stats-rollup.ts) to decision_rollups: the stored sketches
 * of the groups whose durations change read in one statement and merged here, then one upsert
 * for all groups, in key order. Writers of a tenant hold its chain head (ledger-writer.ts,
 * retention.ts), so a tenant's roll-up rows change one transaction at a time.
 */
export async function applyRollupDeltas(client: pg.PoolClient, deltas: readonly RollupDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const timed = new Set(deltas.filter((delta) => delta.durations.size > 0));
  const storedDurations = new Map<string, Buffer | null>();
  if (timed.size > 0) {
    const stored = await client.query<{
      hour: string;
      tenant_id: string;
      type_key: string;
      version_key: string;
      outcome_key: string;
      durations: Buffer | null;
    }>(STORED_DURATIONS_SQL, keyColumns([...timed]));
    for (const row of stored.rows)
      storedDurations.set(JSON.stringify([Number(row.hour), row.tenant_id, row.type_key, row.version_key, row.outcome_key]), row.durations);
  }
  const columns: unknown[][] = COLUMN_TYPES.map(() => []);
  for (const delta of deltas) {
    const durations = timed.has(delta) ? delta.durations.mergedBytes(storedDurations.get(keyOf(delta)) ?? null) : null;
    rollupDeltaValues(delta, durations).forEach((value, i) => columns[i]!.push(value));
  }
  await client.query(UPSERT_SQL, columns);
  const shrunk = deltas.filter((delta) => delta.count < 0);
  if (shrunk.length > 0) {
    await client.query(DELETE_EMPTY_SQL, keyColumns(shrunk));
  }
}

function keyOf(delta: RollupDelta): string {
  return JSON.stringify(rollupDeltaKey(delta));
}

function keyColumns(deltas: readonly RollupDelta[]): unknown[][] {
  return [
    deltas.map((d) => d.hour),
    deltas.map((d) => d.tenant),
    deltas.map((d) => d.typeKey),
    deltas.map((d) => d.versionKey),
    deltas.map((d) => d.outcomeKey),
  ];
}

/** An append transaction's records against their priors (what their rows held before it). */
export async function rollUpRecords(
  client: pg.PoolClient,
  transaction: { records: ReadonlyMap<string, DecisionRecord>; priors: ReadonlyMap<string, DecisionRecord | undefined> },
): Promise<void> {
  const deltas = new RollupDeltas();
  deltas.addRecords(transaction.records, transaction.priors);
  await applyRollupDeltas(client, deltas.deltas());
}

/** A nullable text column as stats-rollup.ts's rollupKey encodes it. */
function keySql(column: string): string {
  return `coalesce('.' || ${column}, '')`;
}

/**
 * Builds the roll-ups of every stored decision in one statement (migration 9): per group and
 * duration bucket first, then per group, with the bucket computed as in JavaScript and the
 * sketch written as DurationSketch.toBytes writes it (big-endian index and count, ascending).
 */
export const BACKFILL_ROLLUPS_SQL = `
  INSERT INTO decision_rollups (${ROLLUP_COLUMNS.join(', ')})
  SELECT hour, tenant_id, type_key, version_key, outcome_key, sum(n), sum(w), sum(td), sum(it), sum(ot), sum(tt),
    ${ROLLUP_BIN_COLUMNS.map((column) => `sum(${column})`).join(', ')},
    string_agg(int4send(duration_bucket) || int4send(dn::integer), ''::bytea ORDER BY duration_bucket) FILTER (WHERE dn > 0)
  FROM (
    SELECT sort_time - ((sort_time % ${HOUR_MICROS}) + ${HOUR_MICROS}) % ${HOUR_MICROS} AS hour, tenant_id,
      ${keySql('type')} AS type_key, ${keySql('version')} AS version_key, ${keySql('outcome')} AS outcome_key,
      CASE WHEN duration_ms IS NULL THEN NULL ELSE ${postgresDurationBucketSql('duration_ms')} END AS duration_bucket,
      count(*) AS n, sum(coalesce(adjusted_count, 1)) AS w, count(total_tokens) AS td,
      coalesce(sum(input_tokens) FILTER (WHERE total_tokens IS NOT NULL), 0) AS it,
      coalesce(sum(output_tokens) FILTER (WHERE total_tokens IS NOT NULL), 0) AS ot,
      coalesce(sum(total_tokens), 0) AS tt,
      ${ROLLUP_BIN_COLUMNS.map((column, bin) => `count(*) FILTER (WHERE confidence BETWEEN 0 AND 1 AND least(floor(confidence * 10)::integer, 9) = ${bin}) AS ${column}`).join(',\n      ')},
      count(duration_ms) AS dn
    FROM decisions
    GROUP BY 1, 2, 3, 4, 5, 6
  ) AS by_bucket
  GROUP BY 1, 2, 3, 4, 5`;
