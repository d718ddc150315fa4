import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { LogsBatch } from '../component/component.js';
import type { ExportRequest } from './export-request.js';

/** An ExportLogsServiceRequest, encoded by the OpenTelemetry JS SDK's own OTLP serializers. */
export function encodeLogsRequest(batch: LogsBatch, encoding: 'protobuf' | 'json'): ExportRequest | undefined {
  if (batch.records.length === 0) return undefined;
  const serializer = encoding === 'json' ? JsonLogsSerializer : ProtobufLogsSerializer;
  const body = serializer.serializeRequest(batch.records);
  if (!body) throw new Error('the OTLP logs serializer produced no request');
  // Alerts and other records a connector makes are few and meant to be read: never dropped for room.
  return { body, items: batch.records.length, carriesDecisions: true };
}
