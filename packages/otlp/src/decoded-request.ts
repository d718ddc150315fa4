import type { ResourceSpans } from '@decision-trace/model';

/**
 * A decoded export request. Spans with malformed ids are not in `resourceSpans`; they are
 * counted in `rejectedSpans` and described in `errorMessage`, which is what the OTLP
 * partial-success response reports back to the sender.
 */
export interface DecodedTraceRequest {
  resourceSpans: ResourceSpans[];
  rejectedSpans: number;
  errorMessage: string;
}
