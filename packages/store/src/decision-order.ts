import type { DecisionRecord } from '@decision-trace/model';
import { rfc3339ToEpochMicros } from './instant.js';
import { InvalidQueryError } from './invalid-query-error.js';

/**
 * The listing order, newest first: (sort_time desc, id desc, tenant desc). The tenant breaks
 * ties because one id may exist in several tenants. Cursors carry the last row's key.
 */
export interface DecisionSortKey {
  /** Epoch microseconds of start_time, or of updated_at when there is no start_time. */
  time: number;
  id: string;
  tenant: string;
}

export function decisionSortTime(record: DecisionRecord): number {
  return rfc3339ToEpochMicros(record.start_time ?? record.updated_at) ?? 0;
}

export function encodeCursor(key: DecisionSortKey): string {
  return Buffer.from(JSON.stringify([key.time, key.id, key.tenant]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): DecisionSortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('invalid cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !Number.isSafeInteger(parsed[0]) || typeof parsed[1] !== 'string' || typeof parsed[2] !== 'string') {
    throw new InvalidQueryError('invalid cursor');
  }
  return { time: parsed[0], id: parsed[1], tenant: parsed[2] };
}
