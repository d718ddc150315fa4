export type { DecodedTraceRequest } from './decoded-request.js';
export { OtlpDecodeError } from './errors.js';
export { decodeTraceRequestProtobuf, decodeTraceRequestProtobufRaw } from './decode-protobuf.js';
export { decodeTraceRequestJson } from './decode-json.js';
export { encodeTraceRequestProtobuf } from './encode-protobuf.js';
export { encodeTraceRequestJson } from './encode-json.js';
export { encodeExportResponse, type ExportResult } from './export-response.js';
export { OTLP_PROTO_DIR, TRACE_SERVICE_PROTO_FILE } from './proto-root.js';
export type { WireExportTraceServiceRequest } from './wire-messages.js';
