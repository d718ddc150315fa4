import { z } from 'zod';
import { durationSchema, storageUrlSchema } from '../../config/values.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../../exporter-helper/config.js';
import { clientTlsSchema } from '../../exporter-helper/tls-config.js';

export const DEFAULT_STORAGE = 'sqlite:./data/decisions.db';

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL of a decision backend');

const REMOTE_ONLY = ['api_key', 'headers', 'compression', 'timeout', 'tls', 'sending_queue', 'retry_on_failure'] as const;

export const decisionsExporterSchema = z
  .strictObject({
    /** The embedded store: `sqlite:<path>`. The default when no endpoint is given. */
    storage: storageUrlSchema.optional(),
    /** A remote decision backend (its decision API); events are posted to `<endpoint>/v1/events`. */
    endpoint: httpUrl.optional(),
    /** Sent as `Authorization: Bearer <api_key>`. */
    api_key: z.string().min(1, 'must not be empty').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    compression: z.enum(['gzip', 'none']).optional(),
    timeout: durationSchema.optional(),
    tls: clientTlsSchema.optional(),
    sending_queue: sendingQueueSchema.optional(),
    retry_on_failure: retryOnFailureSchema.optional(),
  })
  .superRefine((config, ctx) => {
    if (config.endpoint !== undefined && config.storage !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'storage (the embedded store) and endpoint (a remote backend) exclude each other' });
    }
    if (config.endpoint === undefined) {
      for (const key of REMOTE_ONLY) {
        if (config[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only applies to a remote backend (set endpoint)' });
      }
    }
  })
  .transform((config) => (config.endpoint === undefined ? { ...config, storage: config.storage ?? DEFAULT_STORAGE } : config));

export type DecisionsExporterConfig = z.output<typeof decisionsExporterSchema>;

export interface RemoteDecisionsConfig {
  endpoint: string;
  api_key?: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  timeout: number;
  tls?: z.output<typeof clientTlsSchema>;
  sending_queue: z.output<typeof sendingQueueSchema>;
  retry_on_failure: z.output<typeof retryOnFailureSchema>;
}

/** The remote mode's settings with their defaults (gzip, 30 s, the Collector's queue and retry). */
export function remoteSettings(config: DecisionsExporterConfig & { endpoint: string }): RemoteDecisionsConfig {
  return {
    endpoint: config.endpoint,
    api_key: config.api_key,
    headers: config.headers ?? {},
    compression: config.compression ?? 'gzip',
    timeout: config.timeout ?? 30_000,
    tls: config.tls,
    sending_queue: config.sending_queue ?? sendingQueueSchema.parse({}),
    retry_on_failure: config.retry_on_failure ?? retryOnFailureSchema.parse({}),
  };
}
