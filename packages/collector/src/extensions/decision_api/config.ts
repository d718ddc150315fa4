import { z } from 'zod';
import { endpointSchema, storageUrlSchema } from '../../config/values.js';
import { DEFAULT_STORAGE } from '../../exporters/decisions/config.js';

export const decisionApiSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: '127.0.0.1', port: 8711 }),
  /** The store the API reads and `POST /v1/events` writes; the same URL as the decisions exporter shares one handle. */
  storage: storageUrlSchema.default(DEFAULT_STORAGE),
  max_request_body_size: z.number().int().positive().default(10 * 1024 * 1024),
});

export type DecisionApiConfig = z.output<typeof decisionApiSchema>;
