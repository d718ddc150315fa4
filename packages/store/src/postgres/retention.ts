import type pg from 'pg';
import type { PostgresStoreHandle } from './store-handle.js';
import { inTransaction } from './transaction.js';
import { applyRollupDeltas } from './rollups.js';
import { RollupDeltas } from '../stats-rollup.js';
import { STATS_ROW_COLUMNS, type StatsRow } from '../stats-rows.js';
import { checkpointThrough, RETENTION_BATCH_DECISIONS } from '../ledger-pruning.js';
import { planRetention, retentionTargetsByTenant, type RetentionTarget, type StoredDecisionKind } from '../retention-policy.js';
import type { RetentionPolicy, RetentionResult } from '../store.js';

/** The PostgreSQL store's retention: expired decisions deleted, their chains shortened behind checkpoints. */
export class PostgresRetention {
  readonly #handle: PostgresStoreHandle;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  /**
   * One transaction per tenant and batch of expired decisions, holding the tenant's chain head
   * like an append does, so that retention and appends of one tenant never interleave.
   */
  async applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    this.#handle.assertOpen();
    const kinds = await this.#handle.pool.query<StoredDecisionKind>('SELECT DISTINCT tenant_id AS tenant, type FROM decisions');
    const targets = planRetention(policies, kinds.rows, now);
    const result: RetentionResult = { deleted_decisions: 0, deleted_events: 0, checkpoints: 0 };
    const createdAt = now.toISOString();
    for (const tenantTargets of retentionTargetsByTenant(targets)) {
      for (;;) {
        this.#handle.assertOpen();
        const step = await inTransaction(this.#handle.pool, 'BEGIN', (client) => retentionStep(client, tenantTargets, createdAt));
        result.deleted_decisions += step.deleted_decisions;
        result.deleted_events += step.deleted_events;
        result.checkpoints += step.checkpoints;
        if (step.deleted_decisions < RETENTION_BATCH_DECISIONS) break;
      }
    }
    return result;
  }
}

/** One batch of one tenant's expired decisions, inside a transaction. */
async function retentionStep(client: pg.PoolClient, targets: readonly RetentionTarget[], createdAt: string): Promise<RetentionResult> {
  const tenant = targets[0]!.tenant;
  const head = await client.query<{ seq: number }>('SELECT seq FROM ledger_heads WHERE tenant_id = $1 FOR UPDATE', [tenant]);
  const ids: string[] = [];
  for (const target of targets) {
    const room = RETENTION_BATCH_DECISIONS - ids.length;
    if (room === 0) break;
    const typeCondition = target.type === null ? 'type IS NULL' : 'type = $4';
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM decisions WHERE tenant_id = $1 AND ${typeCondition} AND sort_time < $2 LIMIT $3`,
      target.type === null ? [tenant, target.beforeMicros, room] : [tenant, target.beforeMicros, room, target.type],
    );
    for (const row of rows) ids.push(row.id);
  }
  if (ids.length === 0) return { deleted_decisions: 0, deleted_events: 0, checkpoints: 0 };

  // The deleted rows' stats columns too: the roll-ups take away what they counted.
  const deleted = await client.query<{ trace_id: string | null; stats: StatsRow }>(
    `DELETE FROM decisions WHERE tenant_id = $1 AND id = ANY($2::text[]) RETURNING trace_id, jsonb_build_array(${STATS_ROW_COLUMNS}) AS stats`,
    [tenant, ids],
  );
  const rollupDeltas = new RollupDeltas();
  for (const row of deleted.rows) rollupDeltas.addRow(tenant, row.stats, -1);
  await applyRollupDeltas(client, rollupDeltas.deltas());
  await client.query('DELETE FROM causal_links WHERE tenant_id = $1 AND source_id = ANY($2::text[])', [tenant, ids]);
  // Context spans are kept for traces that hold decisions: those of a trace left without any go too.
  const traces = [...new Set(deleted.rows.flatMap((row) => (row.trace_id === null ? [] : [row.trace_id.toLowerCase()])))];
  await client.query(
    `DELETE FROM context_spans s WHERE s.tenant_id = $1 AND s.trace_id = ANY($2::text[])
     AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.trace_id = s.trace_id AND d.tenant_id = $1)`,
    [tenant, traces],
  );
  const pruned = await client.query(
    `UPDATE ledger SET event = NULL, decision_id = '', event_type = '', timestamp = '', received_at = ''
     WHERE tenant_id = $1 AND decision_id = ANY($2::text[])`,
    [tenant, ids],
  );
  const step: RetentionResult = { deleted_decisions: ids.length, deleted_events: pruned.rowCount ?? 0, checkpoints: 0 };
  const lastSeq = head.rows[0]?.seq;
  if (lastSeq === undefined) return step;

  const extent = await client.query<{ checkpoint_seq: number | null; first_live_seq: number | null }>(
    `SELECT (SELECT max(seq) FROM ledger_checkpoints WHERE tenant_id = $1) AS checkpoint_seq,
            (SELECT seq FROM ledger WHERE tenant_id = $1 AND event IS NOT NULL ORDER BY seq LIMIT 1) AS first_live_seq`,
    [tenant],
  );
  const checkpointSeq = extent.rows[0]!.checkpoint_seq ?? 0;
  const through = checkpointThrough({ checkpointSeq, firstLiveSeq: extent.rows[0]!.first_live_seq, lastSeq });
  if (through === null) return step;
  // No row at `through` means the chain was damaged behind the store; leave it for verification to report.
  const written = await client.query(
    `INSERT INTO ledger_checkpoints (tenant_id, seq, hash, removed, created_at)
     SELECT tenant_id, seq, hash, $3, $4 FROM ledger WHERE tenant_id = $1 AND seq = $2`,
    [tenant, through, through - checkpointSeq, createdAt],
  );
  if (written.rowCount === 0) return step;
  await client.query('DELETE FROM ledger WHERE tenant_id = $1 AND seq <= $2', [tenant, through]);
  return { ...step, checkpoints: 1 };
}
