import { z } from 'zod';
import { durationSchema } from '../config/values.js';
import { retryOnFailureSchema, sendingQueueSchema } from './config.js';
import { clientTlsSchema } from './tls-config.js';

/** `host:port`, `[v6]:port`, or with an http:// (plaintext) or https:// (TLS) scheme. */
const grpcEndpoint = z.string().refine((value) => parseGrpcEndpoint(value) !== undefined, {
  message: 'expected host:port (optionally with http:// or https://)',
});

export const otlpGrpcExporterSchema = z.strictObject({
  endpoint: grpcEndpoint,
  headers: z.record(z.string(), z.string()).default({}),
  compression: z.enum(['gzip', 'none']).default('gzip'),
  /** Per attempt (the call's deadline). */
  timeout: durationSchema.default(5_000),
  tls: clientTlsSchema.prefault({}),
  sending_queue: sendingQueueSchema.prefault({}),
  retry_on_failure: retryOnFailureSchema.prefault({}),
});

export type OtlpGrpcExporterConfig = z.output<typeof otlpGrpcExporterSchema>;

export interface GrpcTarget {
  /** `host:port` as grpc-js expects it. */
  address: string;
  /** Set by an http:// or https:// scheme; otherwise tls.insecure decides. */
  insecure?: boolean;
}

export function parseGrpcEndpoint(value: string): GrpcTarget | undefined {
  const match = /^(?:(https?):\/\/)?((?:\[[^\]]+\]|[^:/\s]+):\d{1,5})\/?$/.exec(value.trim());
  if (!match) return undefined;
  const [, scheme, address] = match;
  return { address, insecure: scheme === undefined ? undefined : scheme === 'http' };
}
