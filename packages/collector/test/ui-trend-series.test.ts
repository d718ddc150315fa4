import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error: the UI is plain JavaScript served to browsers, without type declarations.
import { trendSeries, outcomeTable, bucketFor, compareVersions, windowStart } from '../ui/lib/trend-series.js';
// @ts-expect-error: as above.
import { formatDuration, tone, shortId } from '../ui/lib/format.js';
// @ts-expect-error: as above.
import { parseRoute, routeHash } from '../ui/lib/route.js';
// @ts-expect-error: as above.
import { activeFilters, filterProblems } from '../ui/lib/filters.js';

const b1 = '2026-02-01T10:00:00.000Z';
const b2 = '2026-02-01T11:00:00.000Z';
const row = (bucket_start: string, version: string, outcome: string | null, count: number, rate: number) => ({
  bucket_start,
  type: 'loan.approve',
  version,
  outcome,
  count,
  weighted_count: count,
  rate,
});

test('stats series become one line per outcome for each type and version, gaps where nothing was decided', () => {
  const groups = trendSeries({
    series: [
      row(b1, 'v2', 'approved', 1, 0.25),
      row(b1, 'v2', 'denied', 3, 0.75),
      row(b2, 'v2', 'approved', 2, 1),
      row(b2, 'v10', 'approved', 1, 1),
      row(b1, 'v1', null, 4, 1),
      { ...row(b1, 'v1', 'approved', 1, 1), type: 'card.issue' },
    ],
  });
  assert.deepEqual(
    groups.map((g: { type: string }) => g.type),
    ['card.issue', 'loan.approve'],
  );
  const loan = groups[1];
  assert.deepEqual(loan.outcomes, ['(none)', 'approved', 'denied']);
  assert.deepEqual(
    loan.versions.map((v: { version: string }) => v.version),
    ['v1', 'v2', 'v10'],
    'numeric version order',
  );
  const v2 = loan.versions[1];
  assert.equal(v2.total, 6);
  const denied = v2.lines.find((l: { outcome: string }) => l.outcome === 'denied');
  assert.deepEqual(
    denied.points.map((p: { t: number; rate: number }) => [p.t, p.rate]),
    [
      [Date.parse(b1), 0.75],
      [Date.parse(b2), 0],
    ],
    'absent in a bucket with decisions: rate 0',
  );
  const v10 = loan.versions[2];
  assert.equal(v10.lines[0].points.length, 1, 'no point in a bucket without decisions of that version');
});

test('the comparison table reads by_outcome per version and outcome', () => {
  const table = outcomeTable(
    [
      { type: 'loan.approve', version: 'v1', outcome: 'approved', count: 7, weighted_count: 7, rate: 0.7 },
      { type: 'loan.approve', version: 'v2', outcome: 'denied', count: 5, weighted_count: 5, rate: 0.5 },
      { type: 'other', version: 'v1', outcome: 'x', count: 1, weighted_count: 1, rate: 1 },
    ],
    'loan.approve',
  );
  assert.deepEqual(table.versions, ['v1', 'v2']);
  assert.deepEqual(table.outcomes, ['approved', 'denied']);
  assert.equal(table.cell('v1', 'approved').rate, 0.7);
  assert.equal(table.cell('v1', 'denied'), null);
  assert.equal(bucketFor(24 * 3_600_000), '1h');
  assert.equal(bucketFor(30 * 86_400_000), '1d');
  assert.ok(compareVersions('v9', 'v10') < 0);
});

test('a trends window starts on its bucket grid: whole hours starting on the hour are what the store answers from its hourly roll-ups', () => {
  const HOUR = 3_600_000;
  const now = Date.parse('2026-12-07T14:37:12.345Z');
  for (const [windowMs, bucketMs, start] of [
    [6 * HOUR, 15 * 60_000, '2026-12-07T08:30:00.000Z'],
    [24 * HOUR, HOUR, '2026-12-06T14:00:00.000Z'],
    [7 * 24 * HOUR, 6 * HOUR, '2026-11-30T12:00:00.000Z'],
    [30 * 24 * HOUR, 24 * HOUR, '2026-11-07T00:00:00.000Z'],
  ] as const) {
    const since = windowStart(windowMs, now);
    assert.equal(since, start);
    const covered = now - Date.parse(since);
    assert.ok(covered >= windowMs && covered < windowMs + bucketMs, `${since} covers the window and less than one bucket more`);
  }
  // On the grid already: nothing is added.
  assert.equal(windowStart(24 * HOUR, Date.parse('2026-12-07T14:00:00.000Z')), '2026-12-06T14:00:00.000Z');
});

test('formatting, routes and filters', () => {
  assert.equal(formatDuration(0.25), '0.25 ms');
  assert.equal(formatDuration(12.4), '12 ms');
  assert.equal(formatDuration(1240), '1.24 s');
  assert.equal(formatDuration(125_000), '2m 05s');
  assert.equal(formatDuration(null), '–');
  assert.equal(tone('approved'), 'good');
  assert.equal(tone('denied'), 'bad');
  assert.equal(tone('escalated'), 'warn');
  assert.equal(tone('lookup_order'), 'neutral');
  assert.equal(tone(true), 'good');
  assert.equal(shortId('0123456789abcdefghijklmnopqrstuvwxyz', 11), '01234…vwxyz');
  assert.deepEqual(parseRoute('#/decisions/a%2Fb/graph?depth=2'), { view: 'graph', id: 'a/b', query: { depth: '2' } });
  assert.deepEqual(parseRoute('#/traces/abc?tenant=t'), { view: 'timeline', id: 'abc', query: { tenant: 't' } });
  assert.deepEqual(parseRoute(''), { view: 'list', query: {} });
  assert.deepEqual(parseRoute('#/alerts?type=loan.approve&kind=outcome_rate'), { view: 'alerts', query: { type: 'loan.approve', kind: 'outcome_rate' } });
  assert.equal(routeHash('alerts', { query: { type: 'loan.approve', kind: '' } }), '#/alerts?type=loan.approve');
  assert.equal(routeHash('detail', { id: 'a/b', query: { tenant: 'acme', x: '' } }), '#/decisions/a%2Fb?tenant=acme');
  assert.deepEqual(activeFilters({ type: ' loan ', outcome: '', bogus: 'x', min_confidence: '0.5' }), { type: 'loan', min_confidence: '0.5' });
  assert.deepEqual(filterProblems({ min_confidence: '0.9', max_confidence: '0.2' }), ['min confidence is above max confidence']);
  assert.equal(filterProblems({ min_confidence: '2' }).length, 1);
});
