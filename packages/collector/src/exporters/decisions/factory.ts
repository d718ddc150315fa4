import type { DecisionStore } from '@decision-trace/store';
import type { ExporterFactory, TraceBatch } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { decisionsExporterSchema, type DecisionsExporterConfig } from './config.js';

/**
 * Writes the batch's decision events to the decision store. The receiver acknowledges only
 * after this resolves, so an acknowledged decision is durable; a store failure is retryable
 * for the client.
 */
export const decisionsExporterFactory: ExporterFactory<DecisionsExporterConfig> = {
  kind: 'exporter',
  type: 'decisions',
  configSchema: decisionsExporterSchema,
  create({ config, host, logger }) {
    let store: DecisionStore | undefined;
    return {
      async start() {
        store = await host.openStore(config.storage);
      },
      async shutdown() {},
      async consumeTraces(batch: TraceBatch) {
        if (batch.decisions.length === 0) return;
        if (!store) throw new PipelineError('decisions exporter is not started', { retryable: true });
        try {
          await store.append(batch.decisions);
        } catch (error) {
          logger.error({ err: error }, 'writing decisions to the store failed');
          throw new PipelineError(`decision store unavailable: ${(error as Error).message}`, {
            retryable: true,
            retryAfterSeconds: 1,
            cause: error,
          });
        }
      },
    };
  },
};
