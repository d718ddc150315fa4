import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: the UI is plain JavaScript served to browsers, without type declarations.
import { waterfallRows } from '../ui/lib/waterfall.js';
// @ts-expect-error: as above.
import { niceTicks, niceStep, timeTicks, linearScale } from '../ui/lib/scale.js';

type Row = { span: { span_id: string }; depth: number; startMs: number | null; durationMs: number | null; offset: number; width: number; timed: boolean };

// Nanosecond times near 2026 as decimal strings, as GET /v1/traces/{id} returns them.
const T0 = 1_770_000_000_000_000_000n;
function span(id: string, parent: string | null, startUs: number, endUs: number) {
  return {
    span_id: id,
    parent_span_id: parent,
    start_time_unix_nano: String(T0 + BigInt(startUs) * 1000n),
    end_time_unix_nano: String(T0 + BigInt(endUs) * 1000n),
    duration_ms: (endUs - startUs) / 1000,
  };
}
const byId = (rows: Row[]) => new Map(rows.map((r) => [r.span.span_id, r]));

test('bars are placed on a 0..1 axis from the first start to the last end', () => {
  const { rows, totalMs } = waterfallRows([span('root', null, 0, 200_000), span('llm', 'root', 50_000, 150_000), span('tool', 'root', 150_000, 200_000)]);
  assert.equal(totalMs, 200);
  const r = byId(rows);
  assert.deepEqual([r.get('root')!.offset, r.get('root')!.width], [0, 1]);
  assert.deepEqual([r.get('llm')!.offset, r.get('llm')!.width], [0.25, 0.5]);
  assert.deepEqual([r.get('tool')!.offset, r.get('tool')!.width], [0.75, 0.25]);
  assert.equal(r.get('llm')!.startMs, 50);
  assert.equal(r.get('llm')!.durationMs, 100);
});

test("sub-millisecond precision survives nanosecond epochs (beyond a double's 2^53)", () => {
  const { rows, totalMs } = waterfallRows([span('a', null, 0, 3), span('b', 'a', 1, 2)]);
  assert.equal(totalMs, 0.003);
  const b = byId(rows).get('b')!;
  assert.ok(Math.abs(b.offset - 1 / 3) < 1e-5 && Math.abs(b.width - 1 / 3) < 1e-5, `${b.offset} ${b.width}`);
  assert.equal(b.durationMs, 0.001);
});

test('tree order: children under their parent by start time, depth by nesting; orphans are roots', () => {
  const spans = [
    span('late-child', 'root', 80, 90),
    span('root', null, 0, 100),
    span('early-child', 'root', 10, 50),
    span('grandchild', 'early-child', 20, 30),
    span('orphan', 'not-in-trace', 5, 6),
  ];
  const { rows } = waterfallRows(spans);
  assert.deepEqual(
    rows.map((r: Row) => `${r.span.span_id}:${r.depth}`),
    ['root:0', 'early-child:1', 'grandchild:2', 'late-child:1', 'orphan:0'],
  );
});

test('untimed spans keep their place; a parent cycle in bad data ends; one span fills the axis', () => {
  const untimed = { span_id: 'u', parent_span_id: 'root', start_time_unix_nano: '0', end_time_unix_nano: '0', duration_ms: null };
  const { rows } = waterfallRows([span('root', null, 0, 10), untimed, span('x', 'y', 1, 2), span('y', 'x', 2, 3)]);
  assert.equal(rows.length, 4);
  const u = byId(rows).get('u')!;
  assert.equal(u.timed, false);
  assert.equal(u.depth, 1);
  const single = waterfallRows([span('only', null, 5, 5)]);
  assert.equal(single.totalMs, 0);
  assert.deepEqual([single.rows[0].offset, single.rows[0].width], [0, 1]);
  assert.deepEqual(waterfallRows([]), { rows: [], totalMs: 0 });
});

test('axis ticks are 1-2-5 steps that stay within the extent', () => {
  assert.equal(niceStep(200, 5), 50);
  assert.equal(niceStep(0.003, 5), 0.001);
  assert.deepEqual(niceTicks(200, 5), [0, 50, 100, 150, 200]);
  assert.deepEqual(niceTicks(1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(7.3, 5), [0, 2, 4, 6]);
  const scale = linearScale([0, 200], [100, 500]);
  assert.equal(scale(50), 200);
  const hour = 3_600_000;
  const ticks: number[] = timeTicks(Date.UTC(2026, 0, 1, 10, 7), Date.UTC(2026, 0, 1, 16, 0), 6);
  assert.ok(ticks.length >= 3 && ticks.length <= 7, String(ticks.length));
  assert.ok(
    ticks.every((t) => t % hour === 0),
    'on whole hours',
  );
});
