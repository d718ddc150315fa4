import { z } from 'zod';
import { endpointSchema } from '../../config/values.js';

const MiB = 1024 * 1024;

/** A protocol key that is present but empty (`grpc:`) enables it with defaults, as in the Collector. */
const orEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema);

export const otlpHttpSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: 'localhost', port: 4318 }),
  max_request_body_size: z.number().int().positive().default(20 * MiB),
  traces_url_path: z.string().startsWith('/').default('/v1/traces'),
});

export const otlpGrpcSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: 'localhost', port: 4317 }),
  max_recv_msg_size_mib: z.number().positive().default(4),
});

export const otlpReceiverSchema = z.strictObject({
  protocols: z
    .strictObject({
      grpc: orEmpty(otlpGrpcSchema).optional(),
      http: orEmpty(otlpHttpSchema).optional(),
    })
    .refine((p) => p.grpc !== undefined || p.http !== undefined, { message: 'enable at least one of grpc, http' }),
});

export type OtlpReceiverConfig = z.output<typeof otlpReceiverSchema>;
export type OtlpHttpConfig = z.output<typeof otlpHttpSchema>;
export type OtlpGrpcConfig = z.output<typeof otlpGrpcSchema>;
