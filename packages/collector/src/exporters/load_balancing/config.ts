import { z } from 'zod';
import { durationSchema } from '../../config/values.js';
import { otlpGrpcExporterSchema } from '../../exporter-helper/otlp-grpc-config.js';

/** The port a backend listens on when a hostname or DNS answer does not say: OTLP/gRPC's. */
export const DEFAULT_BACKEND_PORT = 4317;

/**
 * `host`, `host:port`, `[v6]` or `[v6]:port` → `host:port` (`[v6]:port`), the form grpc-js
 * dials and the ring hashes; undefined when it is none of those.
 */
export function normalizeBackendAddress(value: string, defaultPort = DEFAULT_BACKEND_PORT): string | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return undefined;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return match[1] !== undefined ? `[${match[1].toLowerCase()}]:${port}` : `${match[2]}:${port}`;
}

const backendAddress = z.string().transform((value, ctx) => {
  const address = normalizeBackendAddress(value);
  if (address === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid backend "${value}": expected host or host:port` });
    return z.NEVER;
  }
  return address;
});

/**
 * The settings of the `otlp` exporter every backend gets, but its endpoint, which the resolver
 * supplies: TLS, headers, compression, timeout, and a sending queue and retries of its own.
 */
export const backendProtocolSchema = otlpGrpcExporterSchema.omit({ endpoint: true });

const staticResolverSchema = z.strictObject({
  hostnames: z.array(backendAddress).min(1, 'list at least one backend'),
});

const dnsResolverSchema = z
  .strictObject({
    /** Resolved to every address it has; each address is a backend. */
    hostname: z.string().trim().min(1, 'must not be empty'),
    port: z.number().int().min(1).max(65535).default(DEFAULT_BACKEND_PORT),
    /** Between two resolutions. */
    interval: durationSchema.default(5_000),
    /** For one resolution. */
    timeout: durationSchema.default(1_000),
  })
  .superRefine((value, ctx) => {
    if (value.interval <= 0) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'must be greater than zero' });
    if (value.timeout <= 0) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must be greater than zero' });
  });

const resolverSchema = z
  .strictObject({
    static: staticResolverSchema.optional(),
    dns: dnsResolverSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const given = [value.static, value.dns].filter((r) => r !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'configure exactly one resolver: static or dns' });
  });

export const loadBalancingExporterSchema = z.strictObject({
  /** What keeps data together on one backend: every span of a trace (`traceID`), or of a service. */
  routing_key: z
    .string()
    .default('traceID')
    .refine((value) => value === 'traceID' || value === 'service', {
      message: 'expected traceID or service (the other routing keys of the Collector are for logs and metrics)',
    })
    .transform((value) => value as RoutingKey),
  protocol: z.strictObject({ otlp: backendProtocolSchema.prefault({}) }).prefault({}),
  resolver: resolverSchema,
});

export type RoutingKey = 'traceID' | 'service';
export type BackendProtocolConfig = z.output<typeof backendProtocolSchema>;
export type StaticResolverConfig = z.output<typeof staticResolverSchema>;
export type DnsResolverConfig = z.output<typeof dnsResolverSchema>;
export type LoadBalancingExporterConfig = z.output<typeof loadBalancingExporterSchema>;
