import type { Attributes } from '@opentelemetry/api';
import { seriesKey } from '../../component/metric-exemplars.js';

/** The one series every dimension set beyond the limit is counted under (as the Collector names it). */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * `aggregation_cardinality_limit` of one metric: the first `limit` distinct dimension sets are
 * kept, any further one is replaced by OVERFLOW_ATTRIBUTES. The SDK's own limit applies per
 * collection only (a cumulative metric would grow past it over several flushes), so the limit
 * is kept here, where it holds for the metric's lifetime until `reset` (delta: every flush).
 */
export class CardinalityLimit {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  admit(attributes: Attributes): Attributes {
    if (this.limit === 0) return attributes;
    const key = seriesKey(attributes);
    if (this.seen.has(key)) return attributes;
    if (this.seen.size >= this.limit) return OVERFLOW_ATTRIBUTES;
    this.seen.add(key);
    return attributes;
  }

  reset(): void {
    this.seen.clear();
  }
}
