import type { AlertFilter } from '@decision-trace/store';
import { HttpError } from '../../http/http-error.js';
import { parseTimeBound } from '../../shared/time-bound.js';

/** The query parameters of `GET /v1/alerts` that filter, as in AlertFilter. */
export const ALERT_FILTER_PARAMS = ['tenant', 'type', 'version', 'kind', 'since', 'until'] as const;

/**
 * The AlertFilter of `params`; other parameters must be among `extra` (read by the caller),
 * else 400. `since` and `until` take RFC 3339 or a duration before now, as on /v1/decisions.
 */
export function parseAlertFilter(params: URLSearchParams, extra: readonly string[], now: number): AlertFilter {
  const filter: AlertFilter = {};
  for (const [key, value] of params) {
    switch (key) {
      case 'since':
      case 'until': {
        const at = parseTimeBound(value, now);
        if (!at) throw new HttpError(400, `invalid ${key} "${value}": expected RFC 3339 (2026-01-02T15:04:05Z) or a duration like 1h`);
        filter[key] = at;
        break;
      }
      case 'tenant':
      case 'type':
      case 'version':
      case 'kind':
        filter[key] = value;
        break;
      default:
        if (!extra.includes(key)) throw new HttpError(400, `unknown query parameter "${key}" (known: ${[...ALERT_FILTER_PARAMS, ...extra].join(', ')})`);
    }
  }
  return filter;
}
