import type { Attributes } from '@opentelemetry/api';

/** One measurement kept beside a data point, pointing at the trace (and decision) it came from. */
export interface MetricExemplar {
  value: number;
  /** Epoch milliseconds of the measurement. */
  timeMs: number;
  /** Hex trace and span ids, when the measurement came from a span. */
  traceId?: string;
  spanId?: string;
  /** Attributes of the measurement the data point's attributes do not have (e.g. `decision.id`). */
  attributes: Record<string, string>;
}

/** Exemplars of a metrics batch: metric name → series (seriesKey of its attributes) → exemplars. */
export type ExemplarIndex = Map<string, Map<string, MetricExemplar[]>>;

/** The identity of a series: its attributes in key order. */
export function seriesKey(attributes: Attributes): string {
  let key = '';
  for (const name of Object.keys(attributes).sort()) key += `${name}\u0000${String(attributes[name])}\u0001`;
  return key;
}
