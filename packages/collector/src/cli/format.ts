import { stringifyJsonExact } from '@decision-trace/model';
/** Plain-text rendering helpers for the CLI: no colours, safe in pipes and logs. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatValue(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : stringifyJsonExact(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
