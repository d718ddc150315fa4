import type { DecisionFilter } from '@decision-trace/store';
import { HttpError } from '../../http/http-error.js';
import { parseTimeBound } from '../../shared/time-bound.js';

/** The query parameters every filtered route (list, stats, drift) takes, as in DecisionFilter. */
export const FILTER_PARAMS = [
  'tenant',
  'type',
  'version',
  'outcome',
  'trace_id',
  'since',
  'until',
  'actor_id',
  'actor_type',
  'service',
  'status',
  'min_confidence',
  'max_confidence',
  'has_violations',
  'evidence',
] as const;

const FILTER_PARAM_SET: ReadonlySet<string> = new Set(FILTER_PARAMS);

const TEXT_FIELDS = ['tenant', 'type', 'version', 'outcome', 'trace_id', 'actor_id', 'actor_type', 'service', 'status'] as const;
type TextField = (typeof TEXT_FIELDS)[number];

export function isFilterParam(key: string): boolean {
  return FILTER_PARAM_SET.has(key);
}

/**
 * Adds one query parameter to `filter`. `evidence` repeats (`evidence=key=value`, split at the
 * first `=`); the other parameters take their last value. Malformed values are a 400 naming the
 * parameter; `label` is the name the client used (`a.since` for a drift side).
 */
export function applyFilterParam(filter: DecisionFilter, key: string, value: string, now: number, label = key): void {
  switch (key) {
    case 'since':
    case 'until': {
      const at = parseTimeBound(value, now);
      if (!at) throw new HttpError(400, `invalid ${label} "${value}": expected RFC 3339 (2026-01-02T15:04:05Z) or a duration like 1h`);
      filter[key] = at;
      return;
    }
    case 'min_confidence':
    case 'max_confidence': {
      const confidence = value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
        throw new HttpError(400, `invalid ${label} "${value}": expected a number from 0 to 1`);
      }
      filter[key] = confidence;
      return;
    }
    case 'has_violations':
      if (value !== 'true' && value !== 'false') throw new HttpError(400, `invalid ${label} "${value}": expected true or false`);
      filter.has_violations = value === 'true';
      return;
    case 'evidence': {
      const split = value.indexOf('=');
      if (split <= 0) throw new HttpError(400, `invalid ${label} "${value}": expected key=value`);
      filter.evidence = [...(filter.evidence ?? []), { key: value.slice(0, split), value: value.slice(split + 1) }];
      return;
    }
    default:
      if (!(TEXT_FIELDS as readonly string[]).includes(key)) throw new HttpError(400, `unknown query parameter "${label}"`);
      filter[key as TextField] = value;
  }
}

/** The DecisionFilter of `params`; other parameters must be among `extra` (read by the caller), else 400. */
export function parseDecisionFilter(params: URLSearchParams, extra: readonly string[], now: number): DecisionFilter {
  const filter: DecisionFilter = {};
  for (const [key, value] of params) {
    if (isFilterParam(key)) applyFilterParam(filter, key, value, now);
    else if (!extra.includes(key)) {
      throw new HttpError(400, `unknown query parameter "${key}" (known: ${[...FILTER_PARAMS, ...extra].join(', ')})`);
    }
  }
  if (filter.min_confidence !== undefined && filter.max_confidence !== undefined && filter.min_confidence > filter.max_confidence) {
    throw new HttpError(400, `min_confidence ${filter.min_confidence} is above max_confidence ${filter.max_confidence}`);
  }
  return filter;
}
