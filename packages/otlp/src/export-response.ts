import { ExportTraceServiceResponseType } from './proto-root.js';

export interface ExportResult {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * The ExportTraceServiceResponse for a request. partial_success is set only when something
 * was rejected or there is a message for the sender, as the OTLP specification asks.
 */
export function encodeExportResponse(result: ExportResult, format: 'protobuf'): Uint8Array;
export function encodeExportResponse(result: ExportResult, format: 'json'): string;
export function encodeExportResponse(result: ExportResult, format: 'protobuf' | 'json'): Uint8Array | string;
export function encodeExportResponse(result: ExportResult, format: 'protobuf' | 'json'): Uint8Array | string {
  const partial = result.rejectedSpans > 0 || result.errorMessage !== '';
  if (format === 'json') {
    if (!partial) return '{}';
    return JSON.stringify({
      partialSuccess: { rejectedSpans: String(result.rejectedSpans), errorMessage: result.errorMessage },
    });
  }
  if (!partial) return ExportTraceServiceResponseType.encode({}).finish();
  return ExportTraceServiceResponseType.encode({
    partialSuccess: { rejectedSpans: result.rejectedSpans, errorMessage: result.errorMessage },
  }).finish();
}
