import { z } from 'zod';
import { storageUrlSchema } from '../../config/values.js';

export const DEFAULT_STORAGE = 'sqlite:./data/decisions.db';

export const decisionsExporterSchema = z.strictObject({
  /** Where records are kept: `sqlite:<path>` is the embedded store. */
  storage: storageUrlSchema.default(DEFAULT_STORAGE),
});

export type DecisionsExporterConfig = z.output<typeof decisionsExporterSchema>;
