import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROLLUP_COLUMNS, ROLLUP_KEY_COLUMNS, rollupDeltaKey, rollupDeltaValues } from '../src/rollup-sql.js';
import { RollupDeltas } from '../src/stats-rollup.js';
import type { StatsRow } from '../src/stats-rows.js';

// Both backends bind a delta through rollupDeltaValues; each value must land in its own column.
test('rollupDeltaValues gives each roll-up column its value, in ROLLUP_COLUMNS order', () => {
  const hour = Date.UTC(2026, 11, 7, 10) * 1000;
  const rows: StatsRow[] = [
    [hour + 5, 'refund.approve', 'v2', 'approved', 3, 0.95, 120, 10, 20, 30],
    [hour + 9, 'refund.approve', 'v2', 'approved', null, 0.15, null, null, null, null],
  ];
  const deltas = new RollupDeltas();
  for (const row of rows) deltas.addRow('acme', row, 1);
  const [delta] = deltas.deltas();
  assert.ok(delta);
  const sketch = Uint8Array.of(1, 2, 3);
  const values = rollupDeltaValues(delta, sketch);
  assert.equal(values.length, ROLLUP_COLUMNS.length);
  const byColumn = Object.fromEntries(ROLLUP_COLUMNS.map((column, i) => [column, values[i]]));
  assert.deepEqual(byColumn, {
    hour,
    tenant_id: 'acme',
    type_key: '.refund.approve',
    version_key: '.v2',
    outcome_key: '.approved',
    count: 2,
    weighted_count: 4,
    token_decisions: 1,
    input_tokens: 10,
    output_tokens: 20,
    total_tokens: 30,
    bin_0: 0,
    bin_1: 1,
    bin_2: 0,
    bin_3: 0,
    bin_4: 0,
    bin_5: 0,
    bin_6: 0,
    bin_7: 0,
    bin_8: 0,
    bin_9: 1,
    durations: sketch,
  });
  assert.deepEqual(
    rollupDeltaKey(delta),
    ROLLUP_KEY_COLUMNS.map((column) => byColumn[column]),
  );
  assert.equal(rollupDeltaValues(delta, null).at(-1), null);
});
