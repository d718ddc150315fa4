import assert from 'node:assert/strict';
import { assertDurationNear } from './duration-accuracy.js';
import { applyEvent, type DecisionRecord } from '@decision-trace/model';
import { decisionRowValues } from '../src/decision-row.js';
import type { DecisionStore } from '../src/index.js';
import { makeEvent } from './store-suite.js';

/** The decisions table's columns before migration 5 added its own. */
export const COLUMNS_BEFORE_MIGRATION_5 = 19;

/**
 * Records as a build before migration 5 stored them (only their JSON knows duration, adjusted
 * count, violations and token usage), as rows of the old columns.
 */
export function legacyRecordRows(): unknown[][] {
  const violating = applyEvent(
    undefined,
    makeEvent(
      'decision.observed',
      { outcome: 'denied', start_time: '2025-03-01T10:00:00.000Z', end_time: '2025-03-01T10:00:01.500Z' },
      { decision_id: 'old-1', violations: [{ rule: 'outcome', detail: 'x' }], sampling: { trace_sampled: true, adjusted_count: 3 } },
    ),
  );
  const withTokens: DecisionRecord = {
    ...applyEvent(undefined, makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: 'old-2', timestamp: '2025-03-01T10:30:00.000Z' })),
    token_usage: { input: 40, output: 2, cached: 0, total: 42, llm_calls: 1 },
  };
  return [violating, withTokens].map((record) => decisionRowValues(record).slice(0, COLUMNS_BEFORE_MIGRATION_5));
}

/** What the store reports about the legacy records once migration 5 backfilled their columns. */
export async function assertLegacyRecordsBackfilled(store: DecisionStore): Promise<void> {
  assert.deepEqual(
    (await store.queryDecisions({ has_violations: true })).decisions.map((d) => d.id),
    ['old-1'],
  );
  assert.deepEqual(
    (await store.queryDecisions({ has_violations: false })).decisions.map((d) => d.id),
    ['old-2'],
  );
  const stats = await store.stats({ since: '2025-03-01T10:00:00Z', until: '2025-03-01T11:00:00Z' });
  assert.deepEqual(stats.total, { count: 2, weighted_count: 4 }, 'adjusted count 3, and 1 for the record without one');
  assertDurationNear(stats.duration_ms.max, 1500);
  assert.equal(stats.duration_ms.count, 2);
  assert.deepEqual(stats.token_usage, { decisions: 1, input_tokens: 40, output_tokens: 2, total_tokens: 42 });
  assert.deepEqual(await store.outcomeCounts({}), [
    { outcome: 'approved', count: 1, weighted_count: 1 },
    { outcome: 'denied', count: 1, weighted_count: 3 },
  ]);
}
