import type { NormalizedAuditQuery } from './audit-query.js';

/** One page of the audit log, newest first, one row more than the limit; `bind` adds a parameter. */
export function auditPageSql(query: NormalizedAuditQuery, bind: (value: unknown) => string): string {
  const conditions: string[] = [];
  if (query.tenant !== null) conditions.push(`tenant = ${bind(query.tenant)}`);
  if (query.sinceMicros !== null) conditions.push(`at_micros >= ${bind(query.sinceMicros)}`);
  if (query.after !== null) conditions.push(`(at_micros, row_id) < (${bind(query.after.atMicros)}, ${bind(query.after.rowId)})`);
  return (
    'SELECT row_id, at, at_micros, key_name, role, tenant, method, path, query, status FROM audit_log' +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY at_micros DESC, row_id DESC LIMIT ${bind(query.limit + 1)}`
  );
}
