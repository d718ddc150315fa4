/**
 * The query of a request as the audit log keeps it: each parameter as asked; a parameter given
 * several times (`evidence`) keeps every value, joined by `&`.
 */
export function auditedQuery(params: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(params.keys())) query[key] = params.getAll(key).join('&');
  return query;
}
