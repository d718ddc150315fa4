// Hash routes (pure): #/decisions?…, #/decisions/<id>, #/decisions/<id>/graph, #/traces/<id>, #/trends?…, #/alerts?…

/** Parses a location hash into { view, id?, query }; unknown paths are the decisions list. */
export function parseRoute(hash) {
  const text = (hash ?? '').replace(/^#/, '');
  const [pathPart, queryPart = ''] = splitOnce(text, '?');
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  const parts = pathPart
    .split('/')
    .filter((p) => p !== '')
    .map(safeDecode);
  if (parts[0] === 'decisions' && parts.length === 2) return { view: 'detail', id: parts[1], query };
  if (parts[0] === 'decisions' && parts.length === 3 && parts[2] === 'graph') return { view: 'graph', id: parts[1], query };
  if (parts[0] === 'traces' && parts.length === 2) return { view: 'timeline', id: parts[1], query };
  if (parts[0] === 'trends' && parts.length === 1) return { view: 'trends', query };
  if (parts[0] === 'alerts' && parts.length === 1) return { view: 'alerts', query };
  return { view: 'list', query };
}

/** The hash of a route; empty query values are left out. */
export function routeHash(view, { id, query = {} } = {}) {
  const path = {
    list: '#/decisions',
    detail: `#/decisions/${encodeURIComponent(id ?? '')}`,
    graph: `#/decisions/${encodeURIComponent(id ?? '')}/graph`,
    timeline: `#/traces/${encodeURIComponent(id ?? '')}`,
    trends: '#/trends',
    alerts: '#/alerts',
  }[view];
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

function safeDecode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
