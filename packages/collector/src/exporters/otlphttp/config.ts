import { z } from 'zod';
import { durationSchema } from '../../config/values.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../../exporter-helper/config.js';
import { clientTlsSchema } from '../../exporter-helper/tls-config.js';

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an http:// or https:// URL');

export const otlpHttpExporterSchema = z
  .strictObject({
    /** Base URL; traces are posted to `<endpoint>/v1/traces`. */
    endpoint: httpUrl.optional(),
    /** Full URL for traces, instead of endpoint + /v1/traces. */
    traces_endpoint: httpUrl.optional(),
    headers: z.record(z.string(), z.string()).default({}),
    compression: z.enum(['gzip', 'none']).default('gzip'),
    encoding: z.enum(['proto', 'json']).default('proto'),
    /** Per attempt. */
    timeout: durationSchema.default(30_000),
    tls: clientTlsSchema.optional(),
    sending_queue: sendingQueueSchema.prefault({}),
    retry_on_failure: retryOnFailureSchema.prefault({}),
  })
  .refine((config) => config.endpoint !== undefined || config.traces_endpoint !== undefined, {
    message: 'set endpoint (base URL) or traces_endpoint',
  });

export type OtlpHttpExporterConfig = z.output<typeof otlpHttpExporterSchema>;

/** The URL traces are posted to. */
export function tracesUrl(config: OtlpHttpExporterConfig): URL {
  if (config.traces_endpoint) return new URL(config.traces_endpoint);
  const base = config.endpoint!.replace(/\/+$/, '');
  return new URL(`${base}/v1/traces`);
}
