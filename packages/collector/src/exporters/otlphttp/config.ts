import { z } from 'zod';
import { durationSchema, httpUrlSchema } from '../../config/values.js';
import { compressionParamsIssue, compressionParamsSchema } from '../../exporter-helper/compression-params.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../../exporter-helper/config.js';
import { clientTlsSchema } from '../../exporter-helper/tls-config.js';

const httpUrl = httpUrlSchema();

export const otlpHttpExporterSchema = z
  .strictObject({
    /** Base URL; traces are posted to `<endpoint>/v1/traces`. */
    endpoint: httpUrl.optional(),
    /** Full URL for traces, instead of endpoint + /v1/traces. */
    traces_endpoint: httpUrl.optional(),
    /** Full URL for metrics, instead of endpoint + /v1/metrics. */
    metrics_endpoint: httpUrl.optional(),
    /** Full URL for logs, instead of endpoint + /v1/logs. */
    logs_endpoint: httpUrl.optional(),
    headers: z.record(z.string(), z.string()).default({}),
    compression: z.enum(['gzip', 'none']).default('gzip'),
    /** As the Collector's confighttp: `level` (0, unset, is zlib's default level 6). */
    compression_params: compressionParamsSchema.prefault({}),
    encoding: z.enum(['proto', 'json']).default('proto'),
    /** Per attempt. */
    timeout: durationSchema.default(30_000),
    tls: clientTlsSchema.optional(),
    sending_queue: sendingQueueSchema.prefault({}),
    retry_on_failure: retryOnFailureSchema.prefault({}),
  })
  .refine(
    (config) =>
      config.endpoint !== undefined || config.traces_endpoint !== undefined || config.metrics_endpoint !== undefined || config.logs_endpoint !== undefined,
    {
      message: 'set endpoint (base URL), traces_endpoint, metrics_endpoint or logs_endpoint',
    },
  )
  .superRefine((config, ctx) => {
    const issue = compressionParamsIssue(config.compression, config.compression_params);
    if (issue) ctx.addIssue({ code: 'custom', path: ['compression_params', 'level'], message: issue });
  });

export type OtlpHttpExporterConfig = z.output<typeof otlpHttpExporterSchema>;

/** The URL a signal is posted to, or undefined when neither its own URL nor `endpoint` is set. */
export function signalUrl(config: OtlpHttpExporterConfig, signal: 'traces' | 'metrics' | 'logs'): URL | undefined {
  const own = { traces: config.traces_endpoint, metrics: config.metrics_endpoint, logs: config.logs_endpoint }[signal];
  if (own) return new URL(own);
  if (config.endpoint === undefined) return undefined;
  const base = config.endpoint.replace(/\/+$/, '');
  return new URL(`${base}/v1/${signal}`);
}
