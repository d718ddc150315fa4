// A small SVG line chart of rates (0..1) over time, with axes, gridlines and point tooltips.
import { s } from '../lib/dom.js';
import { formatPercent, formatTime } from '../lib/format.js';
import { linearScale, timeTicks } from '../lib/scale.js';

const PAD = { top: 14, right: 18, bottom: 28, left: 42 };

/**
 * Each series also differs by dash pattern and marker shape, not only by colour: lines that lie
 * on top of each other (two outcomes at the same rate) stay tellable apart, also without colour.
 */
const DASHES = [null, '7 4', '2 3', '10 3 2 3', '4 4', '1 5'];
const MARKERS = ['circle', 'rect', 'triangle', 'diamond'];

/** The line style of the i-th series: { dash, marker }. */
export function seriesStyle(i) {
  return { dash: DASHES[i % DASHES.length], marker: MARKERS[i % MARKERS.length] };
}

/** A short line with its marker, as the legend shows each series. */
export function legendSample(style, colorClass) {
  return s(
    'svg',
    { class: `legend-sample series ${colorClass}`, viewBox: '0 0 28 12', width: 28, height: 12, 'aria-hidden': 'true' },
    s('line', { x1: 1, x2: 27, y1: 6, y2: 6, class: 'series-line', 'stroke-dasharray': style.dash ?? undefined }),
    marker(style.marker, 14, 6, 3.2, 'series-point'),
  );
}

/**
 * lines: [{ label, colorClass, style, points: [{ t, rate, count }] }]; xDomain: [startMs, endMs].
 * `width` is the width the chart is drawn at (its box's), so text keeps its size on a phone.
 */
export function lineChart({ lines, xDomain, width = 520, height = 220, label }) {
  const x = linearScale(xDomain, [PAD.left, width - PAD.right]);
  const y = linearScale([0, 1], [height - PAD.bottom, PAD.top]);
  const xt = timeTicks(xDomain[0], xDomain[1], Math.max(2, Math.floor(width / 90)));
  const spanMs = xDomain[1] - xDomain[0];
  const tickText = (t) =>
    spanMs > 2 * 86_400_000
      ? formatTime(new Date(t).toISOString(), { seconds: false }).slice(5, 10)
      : formatTime(new Date(t).toISOString(), { seconds: false }).slice(11);
  // A series with a single point has no line to show: its marker is drawn larger and labelled
  // with its value; labels that would overlap are pushed apart vertically.
  const valueLabels = spreadLabels(
    lines.flatMap((line) =>
      line.points.length === 1 ? [{ line, x: x(line.points[0].t), y: y(line.points[0].rate), text: formatPercent(line.points[0].rate, 0) }] : [],
    ),
  );
  return s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label },
    s(
      'g',
      { class: 'grid' },
      [0, 0.25, 0.5, 0.75, 1].map((v) =>
        s(
          'g',
          {},
          s('line', { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }),
          s('text', { x: PAD.left - 8, y: y(v), 'text-anchor': 'end', dy: '0.32em', class: 'axis-text' }, formatPercent(v, 0)),
        ),
      ),
    ),
    s(
      'g',
      { class: 'x-axis' },
      s('line', { x1: PAD.left, x2: width - PAD.right, y1: height - PAD.bottom, y2: height - PAD.bottom, class: 'axis-line' }),
      xt.map((t) => s('text', { x: x(t), y: height - PAD.bottom + 18, 'text-anchor': 'middle', class: 'axis-text' }, tickText(t))),
    ),
    lines.map((line) => {
      const pts = line.points.map((p) => [x(p.t), y(p.rate)]);
      const lone = pts.length === 1;
      return s(
        'g',
        { class: `series ${line.colorClass}`, dataset: { outcome: line.label } },
        pts.length > 1
          ? s('polyline', {
              points: pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' '),
              class: 'series-line',
              'stroke-dasharray': line.style?.dash ?? undefined,
            })
          : null,
        line.points.map((p, i) => {
          const m = marker(line.style?.marker ?? 'circle', pts[i][0], pts[i][1], lone ? 5 : 3.4, lone ? 'series-point lone' : 'series-point');
          m.append(s('title', {}, `${line.label}: ${formatPercent(p.rate)} (${p.count}) at ${formatTime(new Date(p.t).toISOString(), { seconds: false })}`));
          return m;
        }),
      );
    }),
    valueLabels.map((l) => {
      const text = `${l.text} ${l.line.label}`;
      // About 7 px a character at 11.5 px: a label that would leave the chart goes left of its dot.
      const left = l.x + 9 + text.length * 7 > width;
      return s(
        'text',
        { x: left ? l.x - 9 : l.x + 9, y: l.y, dy: '0.32em', 'text-anchor': left ? 'end' : 'start', class: `series-value ${l.line.colorClass}` },
        text,
      );
    }),
  );
}

function marker(shape, cx, cy, r, cls) {
  if (shape === 'rect') return s('rect', { x: cx - r * 0.9, y: cy - r * 0.9, width: r * 1.8, height: r * 1.8, class: cls });
  if (shape === 'triangle') return s('polygon', { points: `${cx},${cy - r * 1.15} ${cx + r},${cy + r * 0.75} ${cx - r},${cy + r * 0.75}`, class: cls });
  if (shape === 'diamond')
    return s('polygon', { points: `${cx},${cy - r * 1.2} ${cx + r * 1.2},${cy} ${cx},${cy + r * 1.2} ${cx - r * 1.2},${cy}`, class: cls });
  return s('circle', { cx, cy, r, class: cls });
}

/** Labels sorted by height, each at least 13 px below the one above it. */
function spreadLabels(labels) {
  const sorted = [...labels].sort((a, b) => a.y - b.y);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].y - sorted[i - 1].y < 13 && Math.abs(sorted[i].x - sorted[i - 1].x) < 80) sorted[i] = { ...sorted[i], y: sorted[i - 1].y + 13 };
  }
  return sorted;
}
