import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: the UI is plain JavaScript served to browsers, without type declarations.
import { countText, outcomeChips } from '../ui/lib/list-counts.js';

test('the list header names what it counts and never claims a total it does not have', () => {
  assert.equal(countText(50, true, 1234, true), 'Showing 50 of 1,234 decisions matching the filters');
  assert.equal(countText(50, true, 67, false), 'Showing 50 of 67 decisions');
  // No total (no /v1/stats), or one that is behind the rows shown: say only that there are more.
  assert.equal(countText(50, true, null, false), '50 decisions shown, more below');
  assert.equal(countText(51, true, 50, true), '51 decisions matching the filters shown, more below');
  // Everything loaded: the count is exact, whatever the total said.
  assert.equal(countText(17, false, 999, true), 'All 17 decisions matching the filters');
  assert.equal(countText(1, false, null, false), 'The only decision');
  assert.equal(countText(0, false, null, true), 'No decisions match the filters');
  assert.equal(countText(0, false, null, false), 'No decisions');
});

test('the outcome chips add up to the rows shown, the smallest outcomes summed as "other"', () => {
  const records = [...['a', 'a', 'a', 'b', 'b', 'c', 'd', 'e', 'f', 'g'].map((outcome) => ({ outcome })), { outcome: undefined }];
  const chips = outcomeChips(records);
  assert.equal(chips.length, 6);
  assert.deepEqual(chips.slice(0, 2), [
    { outcome: 'a', count: 3 },
    { outcome: 'b', count: 2 },
  ]);
  assert.deepEqual(chips.at(-1), { outcome: 'other', count: 3, other: true });
  assert.equal(
    chips.reduce((sum: number, c: { count: number }) => sum + c.count, 0),
    records.length,
  );
  assert.deepEqual(outcomeChips([{ outcome: 'x' }, {}]), [
    { outcome: 'no outcome', count: 1 },
    { outcome: 'x', count: 1 },
  ]);
});
