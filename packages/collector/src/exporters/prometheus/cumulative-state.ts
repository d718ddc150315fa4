import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';

interface Series {
  point: DataPoint<unknown>;
  /** Epoch milliseconds of the last update, for metric_expiration. */
  updatedAt: number;
}

interface Family {
  scope: { name: string; version?: string; schemaUrl?: string };
  metric: MetricData;
  series: Map<string, Series>;
}

/**
 * What a Prometheus scrape sees: every series as a cumulative value. Cumulative points replace
 * the series' value, delta points are added to it (as the Collector's Prometheus exporter
 * accumulates), gauges keep the last value. Pure state: no I/O, the clock is passed in.
 */
export class CumulativeState {
  private readonly families = new Map<string, Family>();
  private resource?: Resource;

  constructor(private readonly expirationMs: number) {}

  add(resourceMetrics: ResourceMetrics, now: number): void {
    this.resource = resourceMetrics.resource;
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      for (const metric of scopeMetrics.metrics) {
        const key = `${scopeMetrics.scope.name}\u0000${metric.descriptor.name}`;
        let family = this.families.get(key);
        if (!family || family.metric.dataPointType !== metric.dataPointType) {
          family = { scope: scopeMetrics.scope, metric, series: new Map() };
          this.families.set(key, family);
        }
        family.metric = metric;
        const delta = 'aggregationTemporality' in metric && metric.aggregationTemporality === AggregationTemporality.DELTA;
        for (const point of metric.dataPoints as DataPoint<unknown>[]) {
          const seriesKey = attributesKey(point.attributes);
          const previous = family.series.get(seriesKey);
          const merged = delta && previous ? accumulate(metric.dataPointType, previous.point, point) : point;
          family.series.set(seriesKey, { point: merged, updatedAt: now });
        }
      }
    }
  }

  /** The state as one cumulative ResourceMetrics (undefined before anything arrived). */
  snapshot(now: number): ResourceMetrics | undefined {
    if (!this.resource) return undefined;
    const scopes = new Map<string, ResourceMetrics['scopeMetrics'][number]>();
    for (const [key, family] of this.families) {
      for (const [seriesKey, series] of family.series) {
        if (now - series.updatedAt > this.expirationMs) family.series.delete(seriesKey);
      }
      if (family.series.size === 0) {
        this.families.delete(key);
        continue;
      }
      let scope = scopes.get(family.scope.name);
      if (!scope) {
        scope = { scope: family.scope, metrics: [] };
        scopes.set(family.scope.name, scope);
      }
      const points = [...family.series.values()].map((s) => s.point);
      const metric =
        family.metric.dataPointType === DataPointType.GAUGE
          ? { ...family.metric, dataPoints: points }
          : { ...family.metric, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPoints: points };
      scope.metrics.push(metric as MetricData);
    }
    return { resource: this.resource, scopeMetrics: [...scopes.values()] };
  }
}

function accumulate(type: DataPointType, previous: DataPoint<unknown>, next: DataPoint<unknown>): DataPoint<unknown> {
  if (type === DataPointType.SUM) {
    return { ...next, startTime: previous.startTime, value: (previous.value as number) + (next.value as number) };
  }
  if (type === DataPointType.HISTOGRAM) {
    const a = previous.value as Histogram;
    const b = next.value as Histogram;
    // Buckets that changed (a new configuration) cannot be added: the series starts over.
    if (!sameBoundaries(a.buckets.boundaries, b.buckets.boundaries)) return next;
    const value: Histogram = {
      buckets: { boundaries: b.buckets.boundaries, counts: b.buckets.counts.map((count, i) => count + (a.buckets.counts[i] ?? 0)) },
      count: a.count + b.count,
      sum: a.sum !== undefined && b.sum !== undefined ? a.sum + b.sum : undefined,
      min: minOf(a.min, b.min),
      max: maxOf(a.max, b.max),
    };
    return { ...next, startTime: previous.startTime, value };
  }
  return next;
}

function sameBoundaries(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** The identity of a series: its attributes in key order. */
export function attributesKey(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((key) => [key, attributes[key]]),
  );
}
