// A trace's spans as waterfall rows (pure): tree order, depth, and each bar's place on a
// 0..1 axis from the trace's first start to its last end, computed on exact nanoseconds.

const NANOS_PER_MS = 1_000_000n;

/**
 * spans: as GET /v1/traces/{id} returns them (start_time_unix_nano / end_time_unix_nano are
 * decimal strings; "0" or a missing value means unknown). Returns { rows: [{span, depth, startMs,
 * durationMs, offset, width, timed}], totalMs }: `offset` and `width` are fractions of the trace's
 * extent; children follow their parent, siblings by start time; a span whose parent is not in the
 * trace is a root. Untimed spans keep their place in the tree with `timed: false`.
 */
export function waterfallRows(spans) {
  const times = spans.map(spanNanos);
  let first = null;
  let last = null;
  for (const t of times) {
    if (t === null) continue;
    if (first === null || t.start < first) first = t.start;
    if (last === null || t.end > last) last = t.end;
  }
  const extent = first === null ? 0n : last - first;
  const totalMs = nanosToMs(extent);

  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map();
  const roots = [];
  spans.forEach((span, i) => {
    const parent = span.parent_span_id;
    if (parent && parent !== span.span_id && ids.has(parent)) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(i);
    } else {
      roots.push(i);
    }
  });
  const byStart = (a, b) => compareNullable(times[a]?.start, times[b]?.start) || a - b;

  const rows = [];
  const visited = new Set();
  const visit = (index, depth) => {
    // A parent loop in bad data must not recurse forever: each span is placed once.
    if (visited.has(index)) return;
    visited.add(index);
    const span = spans[index];
    const t = times[index];
    rows.push(
      t === null
        ? { span, depth, startMs: null, durationMs: span.duration_ms ?? null, offset: 0, width: 0, timed: false }
        : {
            span,
            depth,
            startMs: nanosToMs(t.start - first),
            durationMs: nanosToMs(t.end - t.start),
            offset: extent === 0n ? 0 : ratio(t.start - first, extent),
            width: extent === 0n ? 1 : ratio(t.end - t.start, extent),
            timed: true,
          },
    );
    for (const child of (children.get(span.span_id) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of roots.sort(byStart)) visit(root, 0);
  // Spans only reachable through a parent cycle.
  spans.forEach((_, i) => visit(i, 0));
  return { rows, totalMs };
}

function spanNanos(span) {
  const start = toBigInt(span.start_time_unix_nano);
  const end = toBigInt(span.end_time_unix_nano);
  if (start === null || start === 0n) return null;
  return { start, end: end === null || end < start ? start : end };
}

function toBigInt(text) {
  if (typeof text !== 'string' || !/^\d+$/.test(text)) return null;
  return BigInt(text);
}

function nanosToMs(nanos) {
  // Whole milliseconds in BigInt, the rest in floating point: exact for any trace length.
  return Number(nanos / NANOS_PER_MS) + Number(nanos % NANOS_PER_MS) / 1e6;
}

function ratio(part, whole) {
  return Number((part * 1_000_000n) / whole) / 1_000_000;
}

function compareNullable(a, b) {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  return a < b ? -1 : 1;
}
