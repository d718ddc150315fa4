import { parseTypeVersion } from '@decision-trace/model';
import { decodeCursor, type DecisionSortKey } from './decision-order.js';
import { rfc3339ToEpochMicros } from './instant.js';
import { InvalidQueryError } from './invalid-query-error.js';
import type { DecisionQuery } from './store.js';

export const DEFAULT_QUERY_LIMIT = 50;
export const MAX_QUERY_LIMIT = 1000;

/** A DecisionQuery checked and reduced to plain conditions any backend can translate. */
export interface NormalizedDecisionQuery {
  tenant: string | null;
  type: string | null;
  /** Every version the record must equal (from the type suffix and `version`); usually 0 or 1. */
  versions: string[];
  outcome: string | null;
  traceId: string | null;
  /** Epoch microseconds, inclusive. */
  sinceMicros: number | null;
  /** Epoch microseconds, exclusive. */
  untilMicros: number | null;
  limit: number;
  /** Rows strictly after this key in listing order. */
  after: DecisionSortKey | null;
}

export function normalizeDecisionQuery(query: DecisionQuery): NormalizedDecisionQuery {
  const typeFilter = parseTypeVersion(present(query.type));
  const versions = [typeFilter.version, present(query.version)].filter((v): v is string => v !== null);
  const cursor = present(query.cursor);
  return {
    tenant: present(query.tenant),
    type: typeFilter.type,
    versions: [...new Set(versions)],
    outcome: present(query.outcome),
    traceId: present(query.trace_id)?.toLowerCase() ?? null,
    sinceMicros: instantFilter('since', query.since),
    untilMicros: instantFilter('until', query.until),
    limit: limitOf(query.limit),
    after: cursor === null ? null : decodeCursor(cursor),
  };
}

function present(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function instantFilter(name: string, value: string | undefined): number | null {
  const text = present(value);
  if (text === null) return null;
  const micros = rfc3339ToEpochMicros(text);
  if (micros === null) throw new InvalidQueryError(`invalid ${name}: expected an RFC 3339 instant, got "${text}"`);
  return micros;
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidQueryError(`invalid limit: ${limit}; expected a positive integer`);
  return Math.min(limit, MAX_QUERY_LIMIT);
}
