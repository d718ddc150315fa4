import { z } from 'zod';
import { durationSchema } from '../../config/values.js';

export const batchProcessorSchema = z
  .strictObject({
    /** Spans that trigger sending a batch, whatever the timeout. */
    send_batch_size: z.number().int().positive().default(8192),
    /** Upper bound of a batch's spans; 0 means no bound. Larger batches are split. */
    send_batch_max_size: z.number().int().min(0).default(0),
    /** Time after which a batch is sent whatever its size. */
    timeout: durationSchema.default(200),
  })
  .refine((c) => c.send_batch_max_size === 0 || c.send_batch_max_size >= c.send_batch_size, {
    message: 'send_batch_max_size must be 0 or at least send_batch_size',
    path: ['send_batch_max_size'],
  })
  .refine((c) => c.timeout > 0, { message: 'must be greater than zero', path: ['timeout'] });

export type BatchProcessorConfig = z.output<typeof batchProcessorSchema>;
