import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { MetricsBatch } from '../component/component.js';
import type { ExportRequest } from './export-request.js';

/**
 * An ExportMetricsServiceRequest for a metrics batch, encoded by the OpenTelemetry JS SDK's own
 * OTLP serializers; undefined when the batch holds no data point.
 */
export function encodeMetricsRequest(batch: MetricsBatch, encoding: 'protobuf' | 'json'): ExportRequest | undefined {
  if (batch.dataPointCount === 0) return undefined;
  const serializer = encoding === 'json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  const body = serializer.serializeRequest(batch.resourceMetrics);
  if (!body) throw new Error('the OTLP metrics serializer produced no request');
  // Metrics are never what is dropped for room: they are small, and losing one skews a rate.
  return { body, items: batch.dataPointCount, carriesDecisions: true };
}

/** Data points over the metrics of one resource. */
export function countDataPoints(resourceMetrics: ResourceMetrics): number {
  let count = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      // A histogram point counts one, however many buckets it has (as the Collector counts).
      count += metric.dataPoints.length;
    }
  }
  return count;
}
