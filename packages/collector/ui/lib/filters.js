// The decisions list's filters: form fields ↔ query parameters of GET /v1/decisions (pure).

/** In display order; `param` is the API's query parameter. */
export const FILTER_FIELDS = [
  { param: 'type', label: 'Type', placeholder: 'refund.approve' },
  { param: 'version', label: 'Version', placeholder: 'v2' },
  { param: 'outcome', label: 'Outcome', placeholder: 'approved' },
  { param: 'status', label: 'Status', options: ['', 'pending', 'decided', 'errored'] },
  { param: 'tenant', label: 'Tenant', placeholder: 'acme' },
  { param: 'actor_id', label: 'Actor', placeholder: 'agent-7' },
  { param: 'service', label: 'Service', placeholder: 'refund-service' },
  { param: 'has_violations', label: 'Violations', options: ['', 'true', 'false'], optionLabels: ['Any', 'With violations', 'Without'] },
  { param: 'since', label: 'Since', placeholder: '24h, 7d or RFC 3339', suggestions: ['15m', '1h', '24h', '7d', '30d'] },
  { param: 'until', label: 'Until', placeholder: 'now', suggestions: ['1h', '24h'] },
  { param: 'min_confidence', label: 'Min confidence', number: true },
  { param: 'max_confidence', label: 'Max confidence', number: true },
];

const PARAMS = new Set(FILTER_FIELDS.map((f) => f.param));

/** The filters in `query` that are set, trimmed, in field order; unknown keys are dropped. */
export function activeFilters(query) {
  const out = {};
  for (const { param } of FILTER_FIELDS) {
    const value = typeof query[param] === 'string' ? query[param].trim() : '';
    if (value !== '') out[param] = value;
  }
  return out;
}

/** Problems the API would answer 400 for, said before asking it. */
export function filterProblems(filters) {
  const problems = [];
  const bound = (key) => {
    if (filters[key] === undefined) return null;
    const v = Number(filters[key]);
    if (!Number.isFinite(v) || v < 0 || v > 1) {
      problems.push(`${key.replace('_', ' ')} must be a number from 0 to 1`);
      return null;
    }
    return v;
  };
  const min = bound('min_confidence');
  const max = bound('max_confidence');
  if (min !== null && max !== null && min > max) problems.push('min confidence is above max confidence');
  return problems;
}

export function isFilterParam(key) {
  return PARAMS.has(key);
}
