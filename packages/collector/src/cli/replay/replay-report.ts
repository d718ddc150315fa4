import { formatValue } from '../format.js';
import { confusionAxes, errorCount, transitionCount, type ReplayComparison } from './confusion.js';

/** A replay's result as text: what ran over what, the confusion table, the share changed, examples. */
export interface ReplayReportContext {
  /** e.g. `refund.approve since 2026-01-01T00:00:00.000Z` */
  selection: string;
  source: string;
  policy: string;
}

export const NO_OUTCOME = '(none)';
export const ERROR_COLUMN = '(error)';

export function renderReplayReport(comparison: ReplayComparison, context: ReplayReportContext): string {
  const lines = [
    `replayed ${comparison.total} decision${plural(comparison.total)} of ${context.selection}`,
    `  from ${context.source}`,
    `  policy ${context.policy}`,
    '',
  ];
  if (comparison.total === 0) {
    lines.push('no decisions match');
    return `${lines.join('\n')}\n`;
  }
  lines.push(renderConfusionTable(comparison), '');
  const share = comparison.changed_share === null ? '' : ` (${percent(comparison.changed_share)})`;
  lines.push(
    `changed ${comparison.changed} of ${comparison.decided} decided${share}, unchanged ${comparison.unchanged}; ` + `policy errors ${comparison.errors}`,
  );
  if (comparison.examples.length > 0) {
    lines.push('', `changed decisions (${comparison.examples.length} of ${comparison.changed}):`);
    for (const example of comparison.examples) {
      const reason = example.reason === null ? '' : `: ${example.reason}`;
      lines.push(`  ${example.id} (tenant ${example.tenant})  ${outcomeLabel(example.old)} -> ${example.new}${reason}`);
      if (example.evidence !== null) {
        const items = Object.entries(example.evidence).map(([key, value]) => `${key}=${formatValue(value, 40)}`);
        lines.push(`    evidence: ${items.join('  ')}`);
      }
    }
  }
  if (comparison.error_examples.length > 0) {
    lines.push('', `policy errors (${comparison.error_examples.length} of ${comparison.errors}):`);
    for (const example of comparison.error_examples) {
      lines.push(`  ${example.id} (tenant ${example.tenant})  ${outcomeLabel(example.old)}: ${formatValue(example.error, 200)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Rows: old outcomes; columns: new outcomes, then policy errors and the row total; a last row
 * of column totals. Counts are right-aligned so the eye can run down a column.
 */
export function renderConfusionTable(comparison: ReplayComparison): string {
  const { rows, columns } = confusionAxes(comparison);
  const header = ['old \\ new', ...columns, ERROR_COLUMN, 'total'];
  const body = rows.map((old) => {
    const counts = columns.map((next) => transitionCount(comparison, old, next));
    const errors = errorCount(comparison, old);
    return [outcomeLabel(old), ...counts.map(String), String(errors), String(counts.reduce((a, b) => a + b, 0) + errors)];
  });
  const columnTotals = columns.map((next) => rows.reduce((sum, old) => sum + transitionCount(comparison, old, next), 0));
  body.push(['total', ...columnTotals.map(String), String(comparison.errors), String(comparison.total)]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function outcomeLabel(outcome: string | null): string {
  return outcome ?? NO_OUTCOME;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}
