import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SqliteDatabase } from './sqlite-driver.js';
import type { SqliteStoreHandle } from './store-handle.js';
import { SqliteRollups } from './rollups.js';
import { RollupDeltas } from '../stats-rollup.js';
import { STATS_ROW_COLUMNS, type StatsRow } from '../stats-rows.js';
import { checkpointThrough, RETENTION_BATCH_DECISIONS } from '../ledger-pruning.js';
import { planRetention, retentionTargetsByTenant, type RetentionTarget, type StoredDecisionKind } from '../retention-policy.js';
import type { RetentionPolicy, RetentionResult } from '../store.js';

/** Retention's statements; see ledger-pruning.ts for what pruning keeps. */
function prepareRetention(db: SqliteDatabase) {
  return {
    decisionKinds: db.prepare<[], StoredDecisionKind>('SELECT DISTINCT tenant_id AS tenant, type FROM decisions'),
    expiredIds: db
      .prepare<[string, string | null, number, number], string>('SELECT id FROM decisions WHERE tenant_id = ? AND type IS ? AND sort_time < ? LIMIT ?')
      .pluck(),
    // The deleted row's stats columns too: the roll-ups take away what it counted.
    deleteRecord: db
      .prepare<[string, string], [trace_id: string | null, event_seqs: string | null, ...stats: StatsRow]>(
        `DELETE FROM decisions WHERE tenant_id = ? AND id = ? RETURNING trace_id, event_seqs, ${STATS_ROW_COLUMNS}`,
      )
      .raw(),
    rollups: new SqliteRollups(db),
    deleteTraceMember: db.prepare<[string, string, string]>('DELETE FROM trace_members WHERE trace_id = ? AND tenant_id = ? AND member = ?'),
    deleteLinksFrom: db.prepare<[string, string]>('DELETE FROM causal_links WHERE tenant_id = ? AND source_id = ?'),
    deleteSpansIfNoDecision: db.prepare<[string, string, string, string]>(
      `DELETE FROM context_span_packs WHERE pack_id IN (SELECT member FROM trace_members WHERE trace_id = ? AND tenant_id = ? AND member < '')
       AND NOT EXISTS (SELECT 1 FROM trace_members WHERE trace_id = ? AND tenant_id = ? AND member >= '')`,
    ),
    pruneEvents: db.prepare<[string, string | null]>(
      `UPDATE ledger SET event = '', decision_id = '', event_type = '', timestamp = '', received_at = ''
       WHERE tenant_id = ? AND seq IN (SELECT value FROM json_each('[' || ? || ']'))`,
    ),
    checkpointSeq: db.prepare<[string], number>('SELECT seq FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1').pluck(),
    firstLiveSeq: db.prepare<[string], number>("SELECT seq FROM ledger WHERE tenant_id = ? AND event <> '' ORDER BY seq LIMIT 1").pluck(),
    lastSeq: db.prepare<[string], number>('SELECT seq FROM ledger WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1').pluck(),
    hashAt: db.prepare<[string, number], string>('SELECT hash FROM ledger WHERE tenant_id = ? AND seq = ?').pluck(),
    insertCheckpoint: db.prepare<[string, number, string, number, string]>(
      'INSERT INTO ledger_checkpoints (tenant_id, seq, hash, removed, created_at) VALUES (?, ?, ?, ?, ?)',
    ),
    deleteThrough: db.prepare<[string, number]>('DELETE FROM ledger WHERE tenant_id = ? AND seq <= ?'),
  };
}

/** The SQLite store's retention: expired decisions deleted, their chains shortened behind checkpoints. */
export class SqliteRetention {
  readonly #handle: SqliteStoreHandle;
  #statements: ReturnType<typeof prepareRetention> | null = null;

  constructor(handle: SqliteStoreHandle) {
    this.#handle = handle;
  }

  /**
   * One IMMEDIATE transaction per tenant and batch of expired decisions, with a turn of the
   * event loop between them, so that appends are never held up for long.
   */
  async applyRetention(policies: readonly RetentionPolicy[], now: Date): Promise<RetentionResult> {
    this.#handle.assertOpen();
    const db = this.#handle.db;
    const statements = (this.#statements ??= prepareRetention(db));
    const targets = planRetention(policies, statements.decisionKinds.all(), now);
    const result: RetentionResult = { deleted_decisions: 0, deleted_events: 0, checkpoints: 0 };
    const createdAt = now.toISOString();
    for (const tenantTargets of retentionTargetsByTenant(targets)) {
      for (;;) {
        this.#handle.assertOpen();
        const step = db.transaction(() => retentionStep(statements, tenantTargets, createdAt)).immediate();
        result.deleted_decisions += step.deleted_decisions;
        result.deleted_events += step.deleted_events;
        result.checkpoints += step.checkpoints;
        if (step.deleted_decisions < RETENTION_BATCH_DECISIONS) break;
        await nextTurn();
      }
    }
    return result;
  }
}

/** Runs inside a transaction: one batch of one tenant's expired decisions. */
function retentionStep(statements: ReturnType<typeof prepareRetention>, targets: readonly RetentionTarget[], createdAt: string): RetentionResult {
  const tenant = targets[0]!.tenant;
  const ids: string[] = [];
  for (const target of targets) {
    const room = RETENTION_BATCH_DECISIONS - ids.length;
    if (room === 0) break;
    ids.push(...statements.expiredIds.all(tenant, target.type, target.beforeMicros, room));
  }
  let events = 0;
  const traces = new Set<string>();
  const rollupDeltas = new RollupDeltas();
  for (const id of ids) {
    const [traceId, eventSeqs, ...stats] = statements.deleteRecord.get(tenant, id) ?? [null, null];
    if (stats.length > 0) rollupDeltas.addRow(tenant, stats as StatsRow, -1);
    if (traceId != null) {
      statements.deleteTraceMember.run(traceId, tenant, id);
      traces.add(traceId.toLowerCase());
    }
    statements.deleteLinksFrom.run(tenant, id);
    events += statements.pruneEvents.run(tenant, eventSeqs).changes;
  }
  statements.rollups.apply(rollupDeltas.deltas());
  // Context spans are kept for traces that hold decisions: those of a trace left without any go too.
  for (const traceId of traces) statements.deleteSpansIfNoDecision.run(traceId, tenant, traceId, tenant);
  let checkpoints = 0;
  const lastSeq = statements.lastSeq.get(tenant);
  if (ids.length > 0 && lastSeq !== undefined) {
    const checkpointSeq = statements.checkpointSeq.get(tenant) ?? 0;
    const through = checkpointThrough({ checkpointSeq, firstLiveSeq: statements.firstLiveSeq.get(tenant) ?? null, lastSeq });
    const hash = through === null ? undefined : statements.hashAt.get(tenant, through);
    // No row at `through` means the chain was damaged behind the store; leave it for verification to report.
    if (through !== null && hash !== undefined) {
      statements.insertCheckpoint.run(tenant, through, hash, through - checkpointSeq, createdAt);
      statements.deleteThrough.run(tenant, through);
      checkpoints = 1;
    }
  }
  return { deleted_decisions: ids.length, deleted_events: events, checkpoints };
}
