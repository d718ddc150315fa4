import { instantArgument, present, queryLimit } from './decision-query.js';
import { rfc3339ToEpochMicros } from './instant.js';
import { InvalidQueryError } from './invalid-query-error.js';
import type { AuditEntry, AuditQuery } from './store.js';

/** The audit log's order, newest first: (at desc, row id desc); cursors carry the last row's key. */
export interface AuditSortKey {
  atMicros: number;
  rowId: number;
}

export interface NormalizedAuditQuery {
  tenant: string | null;
  sinceMicros: number | null;
  limit: number;
  after: AuditSortKey | null;
}

export function normalizeAuditQuery(query: AuditQuery): NormalizedAuditQuery {
  const cursor = present(query.cursor);
  return {
    tenant: present(query.tenant),
    sinceMicros: instantArgument('since', query.since),
    limit: queryLimit(query.limit),
    after: cursor === null ? null : decodeAuditCursor(cursor),
  };
}

export function encodeAuditCursor(key: AuditSortKey): string {
  return Buffer.from(JSON.stringify(['audit', key.atMicros, key.rowId]), 'utf8').toString('base64url');
}

function decodeAuditCursor(cursor: string): AuditSortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('invalid cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 'audit' || !Number.isSafeInteger(parsed[1]) || !Number.isSafeInteger(parsed[2])) {
    throw new InvalidQueryError('invalid cursor');
  }
  return { atMicros: parsed[1] as number, rowId: parsed[2] as number };
}

/** An entry as the audit_log row's values after row_id, in column order; TypeError for a malformed entry. */
export function auditRowValues(entry: AuditEntry): [string, number, string, string, string | null, string, string, string, number] {
  const atMicros = typeof entry.at === 'string' ? rfc3339ToEpochMicros(entry.at) : null;
  if (atMicros === null) throw new TypeError(`audit entry: at must be an RFC 3339 instant, got ${JSON.stringify(entry.at)}`);
  for (const field of ['key_name', 'role', 'method', 'path'] as const) {
    if (typeof entry[field] !== 'string') throw new TypeError(`audit entry: ${field} must be a string`);
  }
  if (entry.tenant !== null && typeof entry.tenant !== 'string') throw new TypeError('audit entry: tenant must be a string or null');
  if (!Number.isInteger(entry.status)) throw new TypeError('audit entry: status must be an integer');
  if (typeof entry.query !== 'object' || entry.query === null || Array.isArray(entry.query)) {
    throw new TypeError('audit entry: query must be an object of strings');
  }
  return [entry.at, atMicros, entry.key_name, entry.role, entry.tenant, entry.method, entry.path, JSON.stringify(entry.query), entry.status];
}

export interface AuditRow {
  row_id: number;
  at: string;
  at_micros: number;
  key_name: string;
  role: string;
  tenant: string | null;
  method: string;
  path: string;
  query: string;
  status: number;
}

export function auditEntryOf(row: AuditRow): AuditEntry {
  return {
    at: row.at,
    key_name: row.key_name,
    role: row.role,
    tenant: row.tenant,
    method: row.method,
    path: row.path,
    query: JSON.parse(row.query) as Record<string, string>,
    status: row.status,
  };
}

/** A page of rows fetched with limit + 1, as the reply. */
export function auditPage(rows: readonly AuditRow[], limit: number): { entries: AuditEntry[]; next_cursor: string | null } {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return {
    entries: page.map(auditEntryOf),
    next_cursor: hasMore && last ? encodeAuditCursor({ atMicros: last.at_micros, rowId: last.row_id }) : null,
  };
}
