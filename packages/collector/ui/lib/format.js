// Pure text formatting shared by the views (no DOM, so node tests import it).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 0.42 ms, 12 ms, 1.24 s, 2m 05s, 3h 04m: precise for short spans, compact for long ones. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${trimZeros(ms.toFixed(1))} ms`;
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < MINUTE) return `${trimZeros((ms / SECOND).toFixed(2))} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m ${pad2(Math.floor((ms % MINUTE) / SECOND))}s`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h ${pad2(Math.floor((ms % HOUR) / MINUTE))}m`;
  return `${Math.floor(ms / DAY)}d ${Math.floor((ms % DAY) / HOUR)}h`;
}

/** An RFC 3339 instant as local `YYYY-MM-DD HH:MM:SS`; '–' when absent or invalid. */
export function formatTime(iso, { seconds = true } = {}) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}${seconds ? `:${pad2(d.getSeconds())}` : ''}`;
  return `${date} ${time}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago" relative to `now` (ms). */
export function formatAgo(iso, now = Date.now()) {
  const at = Date.parse(iso ?? '');
  if (Number.isNaN(at)) return '';
  const ago = now - at;
  if (ago < 0) return 'in the future';
  if (ago < 45 * SECOND) return 'just now';
  if (ago < HOUR) return `${Math.round(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.round(ago / HOUR)} h ago`;
  return `${Math.round(ago / DAY)} d ago`;
}

export function formatNumber(n, digits = 0) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A rate in 0..1 as a percentage. */
export function formatPercent(rate, digits = 1) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–';
  return `${(rate * 100).toFixed(digits)}%`;
}

export function formatConfidence(confidence) {
  if (confidence === null || confidence === undefined || !Number.isFinite(confidence)) return '–';
  return confidence.toFixed(2);
}

/** Long ids are cut in the middle so both their prefix and their suffix stay recognisable. */
export function shortId(id, max = 18) {
  if (typeof id !== 'string' || id.length <= max) return id ?? '';
  const keep = Math.floor((max - 1) / 2);
  return `${id.slice(0, keep)}…${id.slice(-keep)}`;
}

/** A value as the detail view shows it: strings as they are, everything else as JSON. */
export function displayValue(value) {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return jsonText(value, 2);
}

/** JSON.stringify that writes a BigInt (an integer beyond 2^53, see api.js) as its exact digits. */
export function jsonText(value, space) {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${BIGINT_MARK}${item}${BIGINT_MARK}` : item), space)?.replace(BIGINT_TEXT, '$1');
}

const BIGINT_MARK = '\u0000';
/** A marked BigInt as JSON.stringify writes it: the string with its escaped marks. */
const BIGINT_TEXT = /"\\u0000(-?\d+)\\u0000"/g;

const GOOD = /^(approved?|allow(ed)?|accept(ed)?|pass(ed)?|ok|success|granted|yes|true|refund_offered|resolved|completed?)$/i;
const BAD = /^(den(y|ied)|reject(ed)?|block(ed)?|fail(ed|ure)?|error|refused|no|false|declined?|fraud)$/i;
const WARN = /^(escalat(e|ed)|review|manual_review|pending|hold|warn(ing)?|flag(ged)?|defer(red)?|needs_.*)$/i;

/** The colour family of an outcome or a policy result: good, bad, warn or neutral. */
export function tone(value) {
  if (value === true) return 'good';
  if (value === false) return 'bad';
  if (typeof value !== 'string') return 'neutral';
  if (GOOD.test(value)) return 'good';
  if (BAD.test(value)) return 'bad';
  if (WARN.test(value)) return 'warn';
  return 'neutral';
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

function trimZeros(text) {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
