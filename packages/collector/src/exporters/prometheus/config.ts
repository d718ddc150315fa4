import { z } from 'zod';
import { durationSchema, endpointSchema } from '../../config/values.js';

export const prometheusExporterSchema = z.strictObject({
  /** Where `GET /metrics` is served (`host:port`). */
  endpoint: endpointSchema,
  /** Prefixed (with `_`) to every metric name. */
  namespace: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus name part: letters, digits and _')
    .optional(),
  /** Labels added to every series. */
  const_labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name'), z.string()).default({}),
  /** A series not updated for this long is no longer served. */
  metric_expiration: durationSchema.default(5 * 60_000),
  /** Write each sample's time beside its value. */
  send_timestamps: z.boolean().default(false),
});

export type PrometheusExporterConfig = z.output<typeof prometheusExporterSchema>;
