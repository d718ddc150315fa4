import { InvalidQueryError } from './invalid-query-error.js';

/** How many decisions one `neighborDecisions` call returns at most (and by default). */
export const MAX_NEIGHBORS = 1000;

/** The limit a backend applies: the given one (1 … MAX_NEIGHBORS), else the maximum. */
export function neighborLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_NEIGHBORS;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidQueryError(`invalid neighbor limit ${String(limit)}: expected a positive integer`);
  return Math.min(limit, MAX_NEIGHBORS);
}
