// Decode-only baselines for the ingest cases, measured in the benchmark process on one core.
//
// - stock: protobufjs (the same version the collector uses) loading the OTLP .proto files as they
//   are and decoding ExportTraceServiceRequest: "protobufjs alone", what the ingest targets are
//   stated against.
// - collector: the collector's own decode (@decision-trace/otlp's decodeTraceRequestProtobuf),
//   which reads the bytes with protobufjs's Reader straight into the spans the pipeline uses: what
//   the pipeline itself spends on decoding, so the ratio shows the share of everything else.
import { createRequire } from 'node:module';
import { decodeTraceRequestProtobuf, OTLP_PROTO_DIR, TRACE_SERVICE_PROTO_FILE } from '@decision-trace/otlp';

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
export const COLLECTOR_BASELINE = 'collector_decode_only';

export function stockDecodeSpansPerSecond(bodies) {
  return spansPerSecond(bodies, (body) => stockRequestType.decode(body));
}

export function collectorDecodeSpansPerSecond(bodies) {
  return spansPerSecond(bodies, decodeTraceRequestProtobuf);
}
