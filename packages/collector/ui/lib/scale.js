// Axis arithmetic for the SVG charts and the waterfall (pure).

/** A 1, 2 or 5 × 10^k step giving about `count` intervals over `span`. */
export function niceStep(span, count = 5) {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Tick values from 0 (or `min`) to at most `max`, on a nice step. */
export function niceTicks(max, count = 5, min = 0) {
  const step = niceStep(max - min, count);
  const ticks = [];
  const first = Math.ceil(min / step) * step;
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A linear map from [d0, d1] onto [r0, r1]; a zero-width domain maps onto the range's start. */
export function linearScale([d0, d1], [r0, r1]) {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

/** Wall-clock ticks (epoch ms) on whole minutes/hours/days, about `count` of them. */
export function timeTicks(startMs, endMs, count = 6) {
  const span = endMs - startMs;
  if (!(span > 0)) return [startMs];
  const step = TIME_STEPS.find((s) => span / s <= count) ?? Math.ceil(span / count / DAY) * DAY;
  const offset = step >= DAY ? new Date(startMs).getTimezoneOffset() * MINUTE : 0;
  const ticks = [];
  for (let t = Math.ceil((startMs - offset) / step) * step + offset; t <= endMs; t += step) ticks.push(t);
  return ticks;
}
