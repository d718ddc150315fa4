// Small reusable pieces: outcome and status badges, confidence meters, span-kind chips, notices.
import { h } from '../lib/dom.js';
import { formatConfidence, tone } from '../lib/format.js';

export function outcomeBadge(outcome) {
  if (outcome === null || outcome === undefined) return h('span', { class: 'badge neutral muted-badge' }, 'no outcome');
  return h('span', { class: `badge ${tone(outcome)}` }, outcome);
}

export function statusPill(status) {
  return h('span', { class: `pill status-${status ?? 'unknown'}` }, status ?? 'unknown');
}

export function confidenceMeter(confidence) {
  if (confidence === null || confidence === undefined) return h('span', { class: 'muted' }, '–');
  const clamped = Math.max(0, Math.min(1, confidence));
  const level = clamped >= 0.8 ? 'high' : clamped >= 0.5 ? 'mid' : 'low';
  return h(
    'span',
    { class: 'confidence', title: `confidence ${formatConfidence(confidence)}` },
    h(
      'span',
      { class: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '1', 'aria-valuenow': String(confidence), 'aria-label': 'confidence' },
      h('span', { class: `meter-fill ${level}`, style: { width: `${clamped * 100}%` } }),
    ),
    h('span', { class: 'num' }, formatConfidence(confidence)),
  );
}

export function kindChip(kind) {
  const name = kind ?? 'SPAN';
  return h('span', { class: `kind-chip kind-${name.toLowerCase()}` }, name);
}

export function notice(kind, title, detail) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('strong', {}, title), detail ? h('p', {}, detail) : null);
}

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}
