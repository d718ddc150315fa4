import { z } from 'zod';
import { endpointSchema } from '../../config/values.js';

export const healthCheckSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: '127.0.0.1', port: 13133 }),
  path: z.string().startsWith('/').default('/'),
  check_collector_pipeline: z
    .strictObject({
      /** Report unhealthy while a pipeline cannot deliver (an exporter failing, a queue full, memory over the limit). */
      enabled: z.boolean().default(true),
      /** Consecutive failed attempts of one component, with no success since, that make the collector unhealthy. */
      exporter_failure_threshold: z.number().int().positive().default(1),
    })
    .prefault({}),
});

export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
