/**
 * The `otlp` exporter's config: the OTLP/gRPC client settings, which the `load_balancing`
 * exporter gives each of its backends as well, so they live in the exporter helper.
 */
export { otlpGrpcExporterSchema, type OtlpGrpcExporterConfig } from '../../exporter-helper/otlp-grpc-config.js';
