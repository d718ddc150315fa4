import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * Folder holding the OTLP .proto files (`proto/` of this package, shipped in its tarball). The
 * relative URL is the same from `src/` and `dist/`, so tests and the installed package agree.
 */
export const OTLP_PROTO_DIR: string = fileURLToPath(new URL('../proto/', import.meta.url));

/** The trace service definition, relative to OTLP_PROTO_DIR (what a gRPC loader needs). */
export const TRACE_SERVICE_PROTO_FILE = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

function loadTraceServiceRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports inside the .proto files are written relative to the proto root, not to the
  // importing file, so every path resolves against the one folder.
  root.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
  root.loadSync(TRACE_SERVICE_PROTO_FILE);
  splitAnyValueOneof(root.lookupType('opentelemetry.proto.common.v1.AnyValue'));
  root.resolveAll();
  return root;
}

/**
 * Gives each AnyValue member a oneof of its own, as proto3 `optional` would. The generated
 * decoder calls a oneof's virtual setter for every member it reads, and protobufjs's setter
 * `delete`s every other member of the oneof: with seven members that was over a third of the
 * decode time. The wire format does not change, members keep explicit presence (an empty
 * string or a zero is still encoded and still decoded as set), and a decoded AnyValue holds the
 * member from the wire as its only own property. The one difference: were a sender to put two
 * members on the wire, both would be kept instead of the last one only.
 */
function splitAnyValueOneof(anyValue: protobuf.Type): void {
  for (const oneof of [...anyValue.oneofsArray]) {
    const members = [...oneof.fieldsArray];
    for (const member of members) oneof.remove(member);
    anyValue.remove(oneof);
    for (const member of members) anyValue.add(new protobuf.OneOf(`_${member.name}`, [member.name]));
  }
}

const traceServiceRoot = loadTraceServiceRoot();

export const ExportTraceServiceRequestType: protobuf.Type = traceServiceRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

export const ExportTraceServiceResponseType: protobuf.Type = traceServiceRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
