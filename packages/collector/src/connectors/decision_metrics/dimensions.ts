import type { Attributes } from '@opentelemetry/api';
import type { DecisionRecord } from '@decision-trace/model';
import { DEFAULT_DIMENSIONS, type DecisionMetricsConnectorConfig } from './config.js';

type Reader = (record: DecisionRecord) => unknown;

/** Where each dimension a decision has is read from. */
const FIELDS: Record<string, Reader> = {
  'decision.type': (r) => r.type,
  'decision.version': (r) => r.version,
  // An errored decision without an outcome still counts, under the outcome `error`.
  'decision.outcome': (r) => r.outcome ?? (r.status === 'errored' ? 'error' : null),
  'decision.tenant': (r) => r.tenant,
  'decision.environment': (r) => r.environment,
  'decision.actor.type': (r) => r.actor?.type,
  'decision.actor.id': (r) => r.actor?.id,
  'decision.status': (r) => r.status,
  'decision.trace_sampled': (r) => r.trace_sampled,
  'service.name': (r) => r.service_name,
};

const PREFIXED: Array<[string, (record: DecisionRecord, key: string) => unknown]> = [
  ['decision.evidence.', (r, key) => r.evidence[key]],
  ['decision.factors.', (r, key) => (r.factors !== null && typeof r.factors === 'object' ? r.factors[key] : undefined)],
];

function readerOf(name: string): Reader {
  const field = FIELDS[name];
  if (field) return field;
  for (const [prefix, read] of PREFIXED) {
    if (name.startsWith(prefix)) {
      const key = name.slice(prefix.length);
      return (record) => read(record, key);
    }
  }
  return () => undefined;
}

/** A dimension value as an attribute: scalars as text, anything else (objects, lists) as absent. */
function attributeValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

interface Dimension {
  name: string;
  read: Reader;
  fallback?: string;
}

/**
 * The attributes of a decision's data points: the default dimensions not excluded, then the
 * configured ones. A dimension without a value (and no default) is left out, as spanmetrics does.
 */
export class DimensionSet {
  private readonly dimensions: Dimension[];

  constructor(config: Pick<DecisionMetricsConnectorConfig, 'dimensions' | 'exclude_dimensions'>, without: readonly string[] = []) {
    const defaults = DEFAULT_DIMENSIONS.filter((name) => !config.exclude_dimensions.includes(name) && !without.includes(name)).map((name) => ({
      name,
      read: readerOf(name),
    }));
    const extra = config.dimensions.map((d) => ({ name: d.name, read: readerOf(d.name), fallback: d.default }));
    this.dimensions = [...defaults, ...extra];
  }

  of(record: DecisionRecord): Attributes {
    const attributes: Attributes = {};
    for (const dimension of this.dimensions) {
      const value = attributeValue(dimension.read(record)) ?? dimension.fallback;
      if (value !== undefined) attributes[dimension.name] = value;
    }
    return attributes;
  }
}
