import { z } from 'zod';
import { durationSchema, endpointSchema } from '../../config/values.js';
import { serverLimitsShape } from '../../http/server-limits.js';

const MiB = 1024 * 1024;

/** A key that is present but empty (`grpc:`) enables it with defaults, as in the Collector. */
const orEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema);

const nonEmptyPath = (what: string) => z.string().trim().min(1, `${what} must name a file`);

/** Server TLS, as the Collector's `configtls` server settings; `client_ca_file` turns on mTLS. */
export const tlsSchema = z.strictObject({
  cert_file: nonEmptyPath('cert_file'),
  key_file: nonEmptyPath('key_file'),
  client_ca_file: nonEmptyPath('client_ca_file').optional(),
});

export const corsSchema = z.strictObject({
  /** Origins allowed to send requests from a browser; `*` stands for any run of characters. Empty: CORS off. */
  allowed_origins: z.array(z.string().trim().min(1, 'an origin must not be empty')).default([]),
  /** Request headers allowed beyond the CORS-safelisted ones; `*` allows any. */
  allowed_headers: z.array(z.string().trim().min(1, 'a header name must not be empty')).default([]),
  /** Seconds a browser may cache a preflight answer (`Access-Control-Max-Age`). */
  max_age: z.number().int().nonnegative().optional(),
});

export const otlpHttpSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: 'localhost', port: 4318 }),
  max_request_body_size: z
    .number()
    .int()
    .positive()
    .default(20 * MiB),
  traces_url_path: z.string().startsWith('/').default('/v1/traces'),
  tls: tlsSchema.optional(),
  cors: orEmpty(corsSchema).optional(),
  ...serverLimitsShape,
});

export const otlpGrpcSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: 'localhost', port: 4317 }),
  max_recv_msg_size_mib: z.number().positive().default(4),
  /** Concurrent calls per connection (HTTP/2 streams), as the Collector's key; more wait in the client. */
  max_concurrent_streams: z.number().int().positive().default(100),
  /** A connection without calls for this long is closed (grpc.max_connection_idle_ms). */
  max_connection_idle: durationSchema.default(300_000),
  tls: tlsSchema.optional(),
});

const bearerTokenSchema = z.strictObject({
  token: z.string().min(1, 'empty token (is the environment variable it comes from set?)'),
  tenant: z.string().trim().min(1, 'a token must name the tenant it writes for'),
});

/**
 * Tokens are secrets: problems are reported by position only, never by echoing a token, and a
 * token may name only one tenant so a request's tenant is never ambiguous.
 */
export const authSchema = z.strictObject({
  bearer_tokens: z
    .array(bearerTokenSchema)
    .min(1, 'list at least one {token, tenant}, or remove auth to accept unauthenticated requests')
    .superRefine((tokens, ctx) => {
      const firstIndex = new Map<string, number>();
      tokens.forEach(({ token }, index) => {
        const earlier = firstIndex.get(token);
        if (earlier === undefined) {
          firstIndex.set(token, index);
          return;
        }
        ctx.addIssue({
          code: 'custom',
          path: [index, 'token'],
          message: `the same token as bearer_tokens[${earlier}]: each token must be distinct`,
        });
      });
    }),
});

/**
 * The requests the receiver holds at once, over both protocols (admission.ts): bodies admitted
 * and not yet answered, uncompressed. A request beyond it gets 503 / UNAVAILABLE with a retry
 * delay before it is decoded, so memory stays bounded however many clients send.
 */
export const admissionSchema = z.strictObject({
  // 32: above the default 20 MiB max_request_body_size, so that one maximum-size request leaves
  // room for the small requests of other clients instead of refusing them all while it is held.
  request_limit_mib: z.number().positive().default(32),
});

export const otlpReceiverSchema = z.strictObject({
  protocols: z
    .strictObject({
      grpc: orEmpty(otlpGrpcSchema).optional(),
      http: orEmpty(otlpHttpSchema).optional(),
    })
    .refine((p) => p.grpc !== undefined || p.http !== undefined, { message: 'enable at least one of grpc, http' }),
  auth: authSchema.optional(),
  admission: orEmpty(admissionSchema).default({ request_limit_mib: 32 }),
});

export type OtlpReceiverConfig = z.output<typeof otlpReceiverSchema>;
export type OtlpHttpConfig = z.output<typeof otlpHttpSchema>;
export type OtlpGrpcConfig = z.output<typeof otlpGrpcSchema>;
export type TlsConfig = z.output<typeof tlsSchema>;
export type CorsConfig = z.output<typeof corsSchema>;
export type AuthConfig = z.output<typeof authSchema>;
