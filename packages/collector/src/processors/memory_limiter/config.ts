import { z } from 'zod';
import { durationSchema } from '../../config/values.js';

const percentage = z.number().int().min(0).max(100, 'must be at most 100');

/** The Collector's memory_limiter keys: one of limit_mib or limit_percentage is required. */
const memoryLimiterShape = z
  .strictObject({
    /** How often memory is measured (the Collector recommends 1s). */
    check_interval: durationSchema.optional(),
    /** Hard limit in MiB; takes precedence over limit_percentage. */
    limit_mib: z.number().int().min(0).default(0),
    /** Headroom below the hard limit: the soft limit is limit_mib − spike_limit_mib (default 20% of limit_mib). */
    spike_limit_mib: z.number().int().min(0).optional(),
    /** Hard limit as a percentage of the memory available (the cgroup limit, else the machine's). */
    limit_percentage: percentage.default(0),
    /** Spike headroom as a percentage of the available memory (default 20% of limit_percentage). */
    spike_limit_percentage: percentage.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.check_interval === undefined) ctx.addIssue({ code: 'custom', path: ['check_interval'], message: 'required: how often to measure memory (e.g. 1s)' });
    else if (c.check_interval <= 0) ctx.addIssue({ code: 'custom', path: ['check_interval'], message: 'must be greater than zero (e.g. 1s)' });
    if (c.limit_mib === 0 && c.limit_percentage === 0) {
      ctx.addIssue({ code: 'custom', path: ['limit_mib'], message: 'set limit_mib or limit_percentage' });
    }
    if (c.limit_mib > 0 && c.spike_limit_mib !== undefined && c.spike_limit_mib >= c.limit_mib) {
      ctx.addIssue({ code: 'custom', path: ['spike_limit_mib'], message: 'must be smaller than limit_mib' });
    }
    if (c.limit_mib === 0 && c.spike_limit_percentage !== undefined && c.spike_limit_percentage >= c.limit_percentage) {
      ctx.addIssue({ code: 'custom', path: ['spike_limit_percentage'], message: 'must be smaller than limit_percentage' });
    }
  });

/** check_interval is required (the refinement above reports it by path when missing). */
export type MemoryLimiterConfig = Omit<z.output<typeof memoryLimiterShape>, 'check_interval'> & { check_interval: number };
export const memoryLimiterSchema = memoryLimiterShape as unknown as z.ZodType<MemoryLimiterConfig>;

const MiB = 1024 * 1024;

export interface MemoryLimits {
  hardBytes: number;
  softBytes: number;
}

/** The hard and soft limits in bytes, given the memory available to the process. */
export function memoryLimits(config: MemoryLimiterConfig, availableBytes: number): MemoryLimits {
  if (config.limit_mib > 0) {
    const spike = config.spike_limit_mib ?? Math.floor(config.limit_mib * 0.2);
    return { hardBytes: config.limit_mib * MiB, softBytes: (config.limit_mib - spike) * MiB };
  }
  const spikePercentage = config.spike_limit_percentage ?? config.limit_percentage * 0.2;
  const hardBytes = Math.floor((availableBytes * config.limit_percentage) / 100);
  return { hardBytes, softBytes: hardBytes - Math.floor((availableBytes * spikePercentage) / 100) };
}
