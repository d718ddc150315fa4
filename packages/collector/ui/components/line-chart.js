// A small SVG line chart of rates (0..1) over time, with axes, gridlines and point tooltips.
import { s } from '../lib/dom.js';
import { formatPercent, formatTime } from '../lib/format.js';
import { linearScale, timeTicks } from '../lib/scale.js';

const PAD = { top: 12, right: 16, bottom: 28, left: 44 };

/** lines: [{ label, colorClass, points: [{ t, rate, count }] }]; xDomain: [startMs, endMs]. */
export function lineChart({ lines, xDomain, width = 520, height = 220, label }) {
  const x = linearScale(xDomain, [PAD.left, width - PAD.right]);
  const y = linearScale([0, 1], [height - PAD.bottom, PAD.top]);
  const xt = timeTicks(xDomain[0], xDomain[1], Math.max(2, Math.floor(width / 110)));
  const spanMs = xDomain[1] - xDomain[0];
  const tickText = (t) => (spanMs > 2 * 86_400_000 ? formatTime(new Date(t).toISOString(), { seconds: false }).slice(5, 10) : formatTime(new Date(t).toISOString(), { seconds: false }).slice(11));
  return s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' },
    s('g', { class: 'grid' },
      [0, 0.25, 0.5, 0.75, 1].map((v) => s('g', {},
        s('line', { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }),
        s('text', { x: PAD.left - 8, y: y(v), 'text-anchor': 'end', dy: '0.32em', class: 'axis-text' }, formatPercent(v, 0))))),
    s('g', { class: 'x-axis' },
      s('line', { x1: PAD.left, x2: width - PAD.right, y1: height - PAD.bottom, y2: height - PAD.bottom, class: 'axis-line' }),
      xt.map((t) => s('text', { x: x(t), y: height - PAD.bottom + 18, 'text-anchor': 'middle', class: 'axis-text' }, tickText(t)))),
    lines.map((line) => {
      const pts = line.points.map((p) => [x(p.t), y(p.rate)]);
      return s('g', { class: `series ${line.colorClass}`, dataset: { outcome: line.label } },
        pts.length > 1 ? s('polyline', { points: pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' '), class: 'series-line' }) : null,
        line.points.map((p, i) => s('circle', { cx: pts[i][0], cy: pts[i][1], r: 3.2, class: 'series-point' },
          s('title', {}, `${line.label}: ${formatPercent(p.rate)} (${p.count}) at ${formatTime(new Date(p.t).toISOString(), { seconds: false })}`))));
    }));
}
