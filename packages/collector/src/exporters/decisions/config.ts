import { z } from 'zod';
import { parseTypeVersion } from '@decision-trace/model';
import { durationSchema, httpUrlSchema, millisecondsOrDurationSchema, storageUrlSchema } from '../../config/values.js';
import { compressionParamsIssue, compressionParamsSchema, type CompressionParams } from '../../exporter-helper/compression-params.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../../exporter-helper/config.js';
import { clientTlsSchema } from '../../exporter-helper/tls-config.js';
import { DEFAULT_STORAGE } from '../../shared/default-storage.js';
import { DEFAULT_STREAM_TARGET } from '../../shared/nats-stream.js';

const httpUrl = httpUrlSchema(' of a decision backend');

/** `nats://host:port` (or `tls://`, or several comma-separated for a cluster). */
const natsUrl = z.string().refine(
  (value) =>
    value.split(',').every((part) => {
      try {
        const url = new URL(part.trim());
        return (url.protocol === 'nats:' || url.protocol === 'tls:') && url.hostname !== '';
      } catch {
        return false;
      }
    }),
  'expected nats://host:port (several separated by commas)',
);

/** NATS subjects: dot-separated tokens without spaces; no wildcards where a message is published. */
const natsSubject = z.string().regex(/^[^\s.*>]+(\.[^\s.*>]+)*$/, 'expected a subject such as decisions.events (no wildcards)');

export const natsTargetSchema = z.strictObject({
  /** The NATS server (JetStream enabled). */
  url: natsUrl,
  /** The JetStream stream; created (work-queue retention, file storage) when missing. */
  stream: z
    .string()
    .regex(/^[^\s.*>]+$/, 'expected a stream name without spaces, dots or wildcards')
    .default(DEFAULT_STREAM_TARGET.stream),
  /** The subject events are published on; the stream must capture it. */
  subject: natsSubject.default(DEFAULT_STREAM_TARGET.subject),
  /** For the stream's acknowledgement of one publish (and for the first connection). */
  timeout: durationSchema.default(5_000),
});

export type NatsTarget = z.output<typeof natsTargetSchema>;

const REMOTE_ONLY = ['api_key', 'headers', 'compression', 'compression_params', 'timeout', 'tls', 'sending_queue', 'retry_on_failure'] as const;
const EMBEDDED_ONLY = ['store_context_spans', 'context_span_buffer', 'witness'] as const;

/** Spans of traces whose decision has not arrived yet wait here (see context-span-window.ts). */
export const contextSpanBufferSchema = z.strictObject({
  max_spans: z.number().int().nonnegative().default(20_000),
  max_age: durationSchema.default(30_000),
  /** Traces known to hold decisions, remembered so their later spans are kept too. */
  max_traces: z.number().int().positive().default(10_000),
});

const retentionPolicySchema = z.strictObject({
  /** Absent: every tenant. */
  tenant: z.string().trim().min(1, 'must not be empty (leave tenant out for every tenant)').optional(),
  /** A type without its version suffix; absent: every type. */
  type: z
    .string()
    .trim()
    .min(1, 'must not be empty (leave type out for every type)')
    .refine((type) => parseTypeVersion(type).version === null, 'retention is per type, for all its versions: remove the version suffix')
    .optional(),
  /** Decisions whose ordering time is older than this are deleted. */
  ttl: z
    .union([z.string(), z.number()], {
      error: (issue) => (issue.input === undefined ? 'required (a duration such as 30d)' : 'expected a duration such as 30d or 12h'),
    })
    // A bare number is milliseconds here (documented for retention): not a Collector key.
    .pipe(millisecondsOrDurationSchema)
    .refine((ms) => ms >= 1, 'must be at least 1ms')
    .transform((ms) => Math.round(ms)),
});

/**
 * Deleting old decisions in the background. For one decision the most specific policy counts
 * (tenant and type, then tenant, then type, then neither); a decision no policy covers is kept.
 */
export const retentionSchema = z.strictObject({
  interval: durationSchema.refine((ms) => ms >= 1, 'must be at least 1ms').default(3_600_000),
  policies: z
    .array(retentionPolicySchema)
    .min(1, 'list at least one {ttl, tenant?, type?}, or remove retention to keep decisions forever')
    .superRefine((policies, ctx) => {
      const first = new Map<string, number>();
      policies.forEach((policy, index) => {
        const key = JSON.stringify([policy.tenant ?? null, policy.type ?? null]);
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, index);
        else ctx.addIssue({ code: 'custom', path: [index], message: `the same tenant and type as policies[${earlier}]: one policy per tenant and type` });
      });
    }),
});

export type RetentionConfig = z.output<typeof retentionSchema>;

/**
 * Chain heads appended to a file outside the database, so that `decision-trace verify --witness`
 * catches a chain deleted whole, rows deleted from a chain's end and audit entries deleted.
 */
export const witnessSchema = z.strictObject({
  /** An append-only file (its folder is created); keep it where whoever can edit the database cannot. */
  path: z.string().trim().min(1, 'a file path, e.g. ./data/witness.jsonl'),
  /** Heads that changed are written this often (and at shutdown), with one fsync each time. */
  interval: durationSchema.refine((ms) => ms >= 1, 'must be at least 1ms').default(1_000),
});

export type WitnessConfig = z.output<typeof witnessSchema>;

export const decisionsExporterSchema = z
  .strictObject({
    /** The embedded store: `sqlite:<path>`. The default when no endpoint is given. */
    storage: storageUrlSchema.optional(),
    /** A remote decision backend (its decision API); events are posted to `<endpoint>/v1/events`. */
    endpoint: httpUrl.optional(),
    /** A NATS JetStream stream: the durable queue in front of `decision-trace ingest` writers. */
    nats: natsTargetSchema.optional(),
    /** Sent as `Authorization: Bearer <api_key>`. */
    api_key: z.string().min(1, 'must not be empty').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    compression: z.enum(['gzip', 'none']).optional(),
    /** As the otlphttp exporter's (the Collector's confighttp): `level` (0, unset, is zlib's default level 6). */
    compression_params: compressionParamsSchema.optional(),
    timeout: durationSchema.optional(),
    tls: clientTlsSchema.optional(),
    sending_queue: sendingQueueSchema.optional(),
    retry_on_failure: retryOnFailureSchema.optional(),
    /** Keep the spans of traces that hold decisions in the store (GET /v1/traces, token roll-up). */
    store_context_spans: z.boolean().optional(),
    context_span_buffer: contextSpanBufferSchema.optional(),
    /** Background deletion of expired decisions; embedded storage only. */
    retention: retentionSchema.optional(),
    /** A witness file of chain heads; embedded storage only. */
    witness: witnessSchema.optional(),
  })
  .superRefine((config, ctx) => {
    if (config.endpoint !== undefined && config.storage !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'storage (the embedded store) and endpoint (a remote backend) exclude each other' });
    }
    if (config.nats !== undefined && (config.storage !== undefined || config.endpoint !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['nats'], message: 'nats (a JetStream stream), storage and endpoint exclude each other' });
    }
    if (config.nats !== undefined) {
      for (const key of EMBEDDED_ONLY) {
        if (config[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to the embedded store (storage); the nats stream carries decision events only' });
      }
    }
    if (config.endpoint !== undefined) {
      for (const key of EMBEDDED_ONLY) {
        if (config[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'only applies to the embedded store (storage); a remote backend does not receive context spans',
          });
      }
    }
    if (config.retention !== undefined && (config.endpoint !== undefined || config.nats !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention'],
        message: `only applies to the embedded store (storage): set retention where the store is written (${config.endpoint !== undefined ? "the remote backend's own decisions exporter" : 'a collector whose decisions exporter has storage'})`,
      });
    }
    if (config.endpoint === undefined) {
      for (const key of REMOTE_ONLY) {
        if (config[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to a remote backend (set endpoint)' });
      }
    } else if (config.compression_params !== undefined) {
      const issue = compressionParamsIssue(config.compression ?? 'gzip', config.compression_params);
      if (issue) ctx.addIssue({ code: 'custom', path: ['compression_params', 'level'], message: issue });
    }
  })
  .transform((config) => (config.endpoint === undefined && config.nats === undefined ? { ...config, storage: config.storage ?? DEFAULT_STORAGE } : config));

export type DecisionsExporterConfig = z.output<typeof decisionsExporterSchema>;

export interface RemoteDecisionsConfig {
  endpoint: string;
  api_key?: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  compression_params: CompressionParams;
  timeout: number;
  tls?: z.output<typeof clientTlsSchema>;
  sending_queue: z.output<typeof sendingQueueSchema>;
  retry_on_failure: z.output<typeof retryOnFailureSchema>;
}

/** The remote mode's settings with their defaults (gzip at level 6, 30 s, the Collector's queue and retry). */
export function remoteSettings(config: DecisionsExporterConfig & { endpoint: string }): RemoteDecisionsConfig {
  return {
    endpoint: config.endpoint,
    api_key: config.api_key,
    headers: config.headers ?? {},
    compression: config.compression ?? 'gzip',
    compression_params: config.compression_params ?? compressionParamsSchema.parse({}),
    timeout: config.timeout ?? 30_000,
    tls: config.tls,
    sending_queue: config.sending_queue ?? sendingQueueSchema.parse({}),
    retry_on_failure: config.retry_on_failure ?? retryOnFailureSchema.parse({}),
  };
}
