import { OTLP_PROTO_DIR } from '@decision-trace/otlp';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
// The SDK-to-OTLP mapping itself, which the serializers above use; pinned with the package.
import { JSON_ENCODER, PROTOBUF_ENCODER, type Encoder } from '@opentelemetry/otlp-transformer/build/src/common/utils.js';
import { createExportMetricsServiceRequest } from '@opentelemetry/otlp-transformer/build/src/metrics/internal.js';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import protobuf from 'protobufjs';
import type { MetricsBatch } from '../component/component.js';
import { seriesKey, type ExemplarIndex, type MetricExemplar } from '../component/metric-exemplars.js';
import type { ExportRequest } from './export-request.js';

const METRICS_SERVICE_PROTO_FILE = 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto';

let requestType: protobuf.Type | undefined;

/** ExportMetricsServiceRequest, from opentelemetry-proto's own definition (loaded once). */
function metricsRequestType(): protobuf.Type {
  if (!requestType) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
    root.loadSync(METRICS_SERVICE_PROTO_FILE);
    requestType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
  }
  return requestType;
}

/**
 * An ExportMetricsServiceRequest for a metrics batch; undefined when it holds no data point.
 * The OpenTelemetry JS SDK's own OTLP serializers encode it; a batch with exemplars (which the
 * SDK's serializers do not write) is mapped by the same SDK code and the exemplars added to its
 * data points before it is encoded.
 */
export function encodeMetricsRequest(batch: MetricsBatch, encoding: 'protobuf' | 'json'): ExportRequest | undefined {
  if (batch.dataPointCount === 0) return undefined;
  // Metrics are never what is dropped for room: they are small, and losing one skews a rate.
  const request = (body: Uint8Array | undefined) => {
    if (!body) throw new Error('the OTLP metrics serializer produced no request');
    return { body, items: batch.dataPointCount, carriesDecisions: true };
  };
  if (!batch.exemplars || batch.exemplars.size === 0) {
    const serializer = encoding === 'json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
    return request(serializer.serializeRequest(batch.resourceMetrics));
  }
  const encoder = encoding === 'json' ? JSON_ENCODER : PROTOBUF_ENCODER;
  const message = createExportMetricsServiceRequest([batch.resourceMetrics], encoder);
  addExemplars(message, batch.resourceMetrics, batch.exemplars, encoder);
  if (encoding === 'json') return request(new TextEncoder().encode(JSON.stringify(message)));
  return request(
    metricsRequestType()
      .encode(message as unknown as protobuf.Message)
      .finish(),
  );
}

type OtlpDataPoint = { exemplars?: unknown[] };
type OtlpMetric = Record<string, { dataPoints?: OtlpDataPoint[] } | unknown>;

/** The OTLP data points follow the SDK's in order: the exemplars of each are found by its attributes. */
function addExemplars(message: ReturnType<typeof createExportMetricsServiceRequest>, source: ResourceMetrics, index: ExemplarIndex, encoder: Encoder): void {
  const scopes = message.resourceMetrics?.[0]?.scopeMetrics ?? [];
  source.scopeMetrics.forEach((scope, i) => {
    scope.metrics.forEach((metric, j) => {
      const bySeries = index.get(metric.descriptor.name);
      if (!bySeries) return;
      const otlp = scopes[i]?.metrics?.[j] as unknown as OtlpMetric | undefined;
      const body = (otlp?.sum ?? otlp?.histogram ?? otlp?.gauge ?? otlp?.exponentialHistogram) as { dataPoints?: OtlpDataPoint[] } | undefined;
      metric.dataPoints.forEach((point, k) => {
        const exemplars = bySeries.get(seriesKey(point.attributes));
        const target = body?.dataPoints?.[k];
        if (exemplars && target) target.exemplars = exemplars.map((e) => toOtlpExemplar(e, encoder));
      });
    });
  });
}

function toOtlpExemplar(exemplar: MetricExemplar, encoder: Encoder): Record<string, unknown> {
  const nanos = BigInt(Math.round(exemplar.timeMs)) * 1_000_000n;
  const seconds = Number(nanos / 1_000_000_000n);
  return {
    filteredAttributes: Object.entries(exemplar.attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
    timeUnixNano: encoder.encodeHrTime([seconds, Number(nanos % 1_000_000_000n)]),
    asDouble: exemplar.value,
    ...(exemplar.spanId ? { spanId: encoder.encodeSpanContext(exemplar.spanId) } : {}),
    ...(exemplar.traceId ? { traceId: encoder.encodeSpanContext(exemplar.traceId) } : {}),
  };
}

/** Data points over the metrics of one resource. */
export function countDataPoints(resourceMetrics: ResourceMetrics): number {
  let count = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    // A histogram point counts one, however many buckets it has (as the Collector counts).
    for (const metric of scope.metrics) count += metric.dataPoints.length;
  }
  return count;
}
