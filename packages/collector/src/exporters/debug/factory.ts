import { z } from 'zod';
import type { ExporterFactory, TraceBatch } from '../../component/component.js';

export const debugExporterSchema = z.strictObject({
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
});

export type DebugExporterConfig = z.output<typeof debugExporterSchema>;

/** Logs what reaches it: counts by default, each decision at `detailed`. */
export const debugExporterFactory: ExporterFactory<DebugExporterConfig> = {
  kind: 'exporter',
  type: 'debug',
  configSchema: debugExporterSchema,
  create({ config, logger }) {
    return {
      async start() {},
      async shutdown() {},
      async consumeTraces(batch: TraceBatch) {
        logger.info({ spans: batch.spanCount, decisions: batch.decisions.length }, 'traces received');
        if (config.verbosity === 'detailed') {
          for (const event of batch.decisions) logger.info({ decision: event }, 'decision event');
        }
      },
    };
  },
};
