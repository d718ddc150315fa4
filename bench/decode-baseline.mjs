// Decode-only baselines for the ingest cases, measured in the benchmark process on one core.
//
// - stock: protobufjs (the same version the collector uses) loading the OTLP .proto files as they
//   are and decoding ExportTraceServiceRequest: "protobufjs alone", what the ingest targets are
//   stated against.
// - tuned: the collector's own raw decode (@decision-trace/otlp), whose in-memory schema gives
//   each AnyValue member its own oneof so protobufjs skips clearing the other members; the same
//   bytes decode to the same values about twice as fast. The collector's pipeline uses it too.
import { createRequire } from 'node:module';
import { decodeTraceRequestProtobufRaw, OTLP_PROTO_DIR, TRACE_SERVICE_PROTO_FILE } from '@decision-trace/otlp';

const requireFromOtlp = createRequire(new URL('../packages/otlp/package.json', import.meta.url));
const protobuf = requireFromOtlp('protobufjs');

const stockRoot = new protobuf.Root();
stockRoot.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
stockRoot.loadSync(TRACE_SERVICE_PROTO_FILE);
const stockRequestType = stockRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

function spansPerSecond(bodies, decode) {
  const start = process.hrtime.bigint();
  let spans = 0;
  for (const body of bodies) {
    const request = decode(body);
    for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
  }
  return spans / (Number(process.hrtime.bigint() - start) / 1e9);
}

export const STOCK_BASELINE = 'protobufjs_decode_only';
export const TUNED_BASELINE = 'tuned_protobufjs_decode_only';

export function stockDecodeSpansPerSecond(bodies) {
  return spansPerSecond(bodies, (body) => stockRequestType.decode(body));
}

export function tunedDecodeSpansPerSecond(bodies) {
  return spansPerSecond(bodies, decodeTraceRequestProtobufRaw);
}
