import { parseTypeVersion } from '@decision-trace/model';
import { decodeCursor, type DecisionSortKey } from './decision-order.js';
import { rfc3339ToEpochMicros } from './instant.js';
import { InvalidQueryError } from './invalid-query-error.js';
import type { DecisionFilter, DecisionQuery, EvidenceMatch } from './store.js';

export const DEFAULT_QUERY_LIMIT = 50;
export const MAX_QUERY_LIMIT = 1000;

/** A DecisionFilter checked and reduced to plain conditions any backend can translate. */
export interface NormalizedDecisionFilter {
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
  actorId: string | null;
  actorType: string | null;
  service: string | null;
  status: string | null;
  /** Inclusive bounds within 0..1. */
  minConfidence: number | null;
  maxConfidence: number | null;
  hasViolations: boolean | null;
  evidence: EvidenceMatch[];
}

/** A DecisionQuery checked: its filter, plus paging. */
export interface NormalizedDecisionQuery extends NormalizedDecisionFilter {
  limit: number;
  /** Rows strictly after this key in listing order. */
  after: DecisionSortKey | null;
}

export function normalizeDecisionQuery(query: DecisionQuery): NormalizedDecisionQuery {
  const cursor = present(query.cursor);
  return {
    ...normalizeDecisionFilter(query),
    limit: queryLimit(query.limit),
    after: cursor === null ? null : decodeCursor(cursor),
  };
}

/** Throws InvalidQueryError naming the first argument that is wrong. */
export function normalizeDecisionFilter(filter: DecisionFilter): NormalizedDecisionFilter {
  const typeFilter = parseTypeVersion(present(filter.type));
  const versions = [typeFilter.version, present(filter.version)].filter((v): v is string => v !== null);
  const minConfidence = confidenceBound('min_confidence', filter.min_confidence);
  const maxConfidence = confidenceBound('max_confidence', filter.max_confidence);
  if (minConfidence !== null && maxConfidence !== null && minConfidence > maxConfidence) {
    throw new InvalidQueryError(`invalid confidence range: min_confidence ${minConfidence} is above max_confidence ${maxConfidence}`);
  }
  return {
    tenant: present(filter.tenant),
    type: typeFilter.type,
    versions: [...new Set(versions)],
    outcome: present(filter.outcome),
    traceId: present(filter.trace_id)?.toLowerCase() ?? null,
    sinceMicros: instantArgument('since', filter.since),
    untilMicros: instantArgument('until', filter.until),
    actorId: present(filter.actor_id),
    actorType: present(filter.actor_type),
    service: present(filter.service),
    status: present(filter.status),
    minConfidence,
    maxConfidence,
    hasViolations: violationsFilter(filter.has_violations),
    evidence: evidenceMatches(filter.evidence),
  };
}

export function present(value: string | undefined | null): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/** Epoch microseconds of an RFC 3339 argument, null when absent. */
export function instantArgument(name: string, value: string | undefined): number | null {
  const text = present(value);
  if (text === null) return null;
  const micros = typeof text === 'string' ? rfc3339ToEpochMicros(text) : null;
  if (micros === null) throw new InvalidQueryError(`invalid ${name}: expected an RFC 3339 instant, got "${String(text)}"`);
  return micros;
}

/** Default 50, capped at 1000. */
export function queryLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidQueryError(`invalid limit: ${limit}; expected a positive integer`);
  return Math.min(limit, MAX_QUERY_LIMIT);
}

function confidenceBound(name: string, value: number | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidQueryError(`invalid ${name}: expected a number from 0 to 1, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function violationsFilter(value: boolean | undefined): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw new InvalidQueryError(`invalid has_violations: expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

function evidenceMatches(value: EvidenceMatch[] | undefined): EvidenceMatch[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidQueryError('invalid evidence: expected a list of key=value conditions');
  return value.map((match) => {
    if (typeof match !== 'object' || match === null || typeof match.key !== 'string' || typeof match.value !== 'string') {
      throw new InvalidQueryError('invalid evidence: each condition needs a string key and a string value');
    }
    if (match.key === '') throw new InvalidQueryError(`invalid evidence: "=${match.value}" has an empty key`);
    return { key: match.key, value: match.value };
  });
}
