// What the decisions list's header says about its rows (pure).
import { formatNumber } from './format.js';

/**
 * The header's count. With every matching row loaded (`more` false) the count is exact; with more
 * to load it names `total` (from GET /v1/stats over the same filters) when that is known and
 * larger than what is shown, and otherwise says only that there are more.
 */
export function countText(shown, more, total, filtered) {
  const noun = (n) => (n === 1 ? 'decision' : 'decisions');
  const matching = filtered ? ' matching the filters' : '';
  if (shown === 0) return filtered ? 'No decisions match the filters' : 'No decisions';
  if (!more) return shown === 1 ? `The only decision${matching}` : `All ${formatNumber(shown)} decisions${matching}`;
  if (total !== null && total > shown) return `Showing ${formatNumber(shown)} of ${formatNumber(total)} ${noun(total)}${matching}`;
  return `${formatNumber(shown)} ${noun(shown)}${matching} shown, more below`;
}

/**
 * The outcome chips: counts of the rows shown, largest first; beyond six outcomes the smallest
 * are summed as "other", so the chips always add up to the rows shown.
 */
export function outcomeChips(records) {
  const byOutcome = new Map();
  for (const r of records) byOutcome.set(r.outcome ?? 'no outcome', (byOutcome.get(r.outcome ?? 'no outcome') ?? 0) + 1);
  const sorted = [...byOutcome.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (sorted.length <= 6) return sorted.map(([outcome, count]) => ({ outcome, count }));
  const other = sorted.slice(5).reduce((sum, [, count]) => sum + count, 0);
  return [...sorted.slice(0, 5).map(([outcome, count]) => ({ outcome, count })), { outcome: 'other', count: other, other: true }];
}
