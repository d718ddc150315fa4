import { parseTypeVersion } from '@decision-trace/model';
import type { AlertQuery } from './alert.js';
import { instantArgument, present, queryLimit } from './decision-query.js';
import { InvalidQueryError } from './invalid-query-error.js';

/** The alerts' listing order, newest first: (at desc, id desc, tenant desc); cursors carry the last row's key. */
export interface AlertSortKey {
  atMicros: number;
  id: string;
  tenant: string;
}

export interface NormalizedAlertQuery {
  tenant: string | null;
  type: string | null;
  /** Every version the alert must equal (from the type suffix and `version`). */
  versions: string[];
  kind: string | null;
  sinceMicros: number | null;
  untilMicros: number | null;
  limit: number;
  after: AlertSortKey | null;
}

/** Throws InvalidQueryError naming the argument that is wrong. */
export function normalizeAlertQuery(query: AlertQuery): NormalizedAlertQuery {
  const typeFilter = parseTypeVersion(present(query.type));
  const versions = [typeFilter.version, present(query.version)].filter((v): v is string => v !== null);
  const cursor = present(query.cursor);
  return {
    tenant: present(query.tenant),
    type: typeFilter.type,
    versions: [...new Set(versions)],
    kind: present(query.kind),
    sinceMicros: instantArgument('since', query.since),
    untilMicros: instantArgument('until', query.until),
    limit: queryLimit(query.limit),
    after: cursor === null ? null : decodeAlertCursor(cursor),
  };
}

export function encodeAlertCursor(key: AlertSortKey): string {
  return Buffer.from(JSON.stringify(['alert', key.atMicros, key.id, key.tenant]), 'utf8').toString('base64url');
}

function decodeAlertCursor(cursor: string): AlertSortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    parsed[0] !== 'alert' ||
    !Number.isSafeInteger(parsed[1]) ||
    typeof parsed[2] !== 'string' ||
    typeof parsed[3] !== 'string'
  ) {
    throw new InvalidQueryError('invalid cursor');
  }
  return { atMicros: parsed[1] as number, id: parsed[2] as string, tenant: parsed[3] as string };
}
