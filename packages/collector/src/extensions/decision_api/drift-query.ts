import type { DecisionFilter } from '@decision-trace/store';
import { HttpError } from '../../http/http-error.js';
import { FILTER_PARAMS, applyFilterParam, isFilterParam } from './decision-filter-params.js';

/** What `GET /v1/drift` compares: the same type and filter, two sides that differ by `a.*` / `b.*`. */
export interface DriftQuery {
  type: string;
  a: DecisionFilter;
  b: DecisionFilter;
  /** Significance level: `significant` is p_value < alpha. */
  alpha: number;
}

/** Both sides share the tenant and the type: a drift compares one decision across time or versions. */
const SIDE_PARAMS: readonly string[] = FILTER_PARAMS.filter((key) => key !== 'tenant' && key !== 'type');

/**
 * Parameters without a prefix apply to both sides; `a.<filter>` and `b.<filter>` to one side
 * (e.g. `a.version=v1&b.version=v2`, or `a.since=…&a.until=…&b.since=…`).
 */
export function parseDriftQuery(params: URLSearchParams, now: number): DriftQuery {
  const common: DecisionFilter = {};
  const sides: Record<'a' | 'b', DecisionFilter> = { a: {}, b: {} };
  let alpha = 0.05;
  for (const [key, value] of params) {
    const side = /^([ab])\.(.+)$/.exec(key);
    if (side) {
      if (!SIDE_PARAMS.includes(side[2])) {
        throw new HttpError(400, `unknown query parameter "${key}": a side takes ${SIDE_PARAMS.map((p) => `${side[1]}.${p}`).join(', ')}`);
      }
      applyFilterParam(sides[side[1] as 'a' | 'b'], side[2], value, now, key);
    } else if (key === 'alpha') {
      alpha = Number(value);
      if (value.trim() === '' || !(alpha > 0 && alpha < 1)) throw new HttpError(400, `invalid alpha "${value}": expected a number between 0 and 1`);
    } else if (isFilterParam(key)) {
      applyFilterParam(common, key, value, now);
    } else {
      throw new HttpError(400, `unknown query parameter "${key}" (known: ${[...FILTER_PARAMS, 'alpha', 'a.<filter>', 'b.<filter>'].join(', ')})`);
    }
  }
  if (common.type === undefined || common.type === '') throw new HttpError(400, 'type is required: drift compares the outcomes of one decision type');
  return { type: common.type, a: merge(common, sides.a), b: merge(common, sides.b), alpha };
}

function merge(common: DecisionFilter, side: DecisionFilter): DecisionFilter {
  const merged: DecisionFilter = { ...common, ...side };
  if (common.evidence !== undefined && side.evidence !== undefined) merged.evidence = [...common.evidence, ...side.evidence];
  return merged;
}
