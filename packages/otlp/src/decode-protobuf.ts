import type { DecodedTraceRequest } from './decoded-request.js';
import { assertAttributeNesting } from './attribute-nesting.js';
import { decodeTraceRequestDirect } from './direct-decoder.js';
import { OtlpDecodeError } from './errors.js';
import { ExportTraceServiceRequestType } from './proto-root.js';
import type { WireExportTraceServiceRequest } from './wire-messages.js';

/**
 * protobufjs decode of an ExportTraceServiceRequest without any normalization: the baseline
 * that measures what the normalization walk costs.
 */
export function decodeTraceRequestProtobufRaw(body: Uint8Array): WireExportTraceServiceRequest {
  // Decoding from a Buffer makes protobufjs return bytes fields as Buffer views, which turn
  // into hex without copying.
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  try {
    return ExportTraceServiceRequestType.decode(buffer) as unknown as WireExportTraceServiceRequest;
  } catch (error) {
    throw new OtlpDecodeError(`invalid protobuf: ${(error as Error).message}`);
  }
}

/**
 * Decodes a binary-protobuf ExportTraceServiceRequest into the model's span shape, in one pass
 * (see direct-decoder.ts); it returns what the raw decode followed by a normalization walk
 * would, without building the wire objects.
 *
 * `keepEncoding` makes each resource and scope decoded without loss keep the bytes it came from
 * (received-encoding.ts), which the encoder then writes as they are when it reaches it
 * unchanged; the caller must not change `body` afterwards.
 *
 * `outlineNonDecisionSpans` returns each span that cannot hold a decision (no `decision.type` or
 * `dt.decision_id` attribute, no events, no links) as an outline: its ids, and empty values for
 * everything else (span-outline.ts). For callers that read nothing else of such spans; the
 * request is checked as thoroughly either way (the same errors, the same rejected spans). With
 * `keepEncoding` too, outlines are left only in scopes that keep their bytes (a scope that does
 * not is decoded whole), so that an exporter forwarding the received bytes needs nothing else of
 * them; the encoders refuse an outline.
 */
export function decodeTraceRequestProtobuf(body: Uint8Array, options: { keepEncoding?: boolean; outlineNonDecisionSpans?: boolean } = {}): DecodedTraceRequest {
  const decoded = decodeTraceRequestDirect(body, options.keepEncoding === true, options.outlineNonDecisionSpans === true);
  assertAttributeNesting(decoded.resourceSpans);
  return decoded;
}
