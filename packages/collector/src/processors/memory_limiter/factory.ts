import type { ReadingProcessorFactory, TraceBatch } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { componentName } from '../../telemetry/component-name.js';
import { memoryLimiterSchema, memoryLimits, type MemoryLimiterConfig } from './config.js';
import { MemoryLimiter } from './memory-limiter.js';
import { allocatedBytes, availableMemoryBytes, forceGc } from './memory-probe.js';

const MiB = 1024 * 1024;

/**
 * Refuses data with a retryable error while memory is above the soft limit, so receivers
 * answer 503/UNAVAILABLE with Retry-After and clients back off; put it first in a pipeline.
 */
export const memoryLimiterProcessorFactory: ReadingProcessorFactory<MemoryLimiterConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  // It reads no span, only the batch's span count.
  readsDecisionSpansOnly: () => true,
  type: 'memory_limiter',
  configSchema: memoryLimiterSchema,
  create({ id, config, logger, host, pipeline }, next) {
    const name = componentName(id, pipeline);
    const labels = { processor: name, pipeline: pipeline ?? '' };
    const statusId = `processors.${name}`;
    const limits = memoryLimits(config, availableMemoryBytes());
    const refused = host.metrics.counter('otelcol_processor_refused_spans_total', 'Spans a processor refused (the sender was asked to retry).').with(labels);
    const retryAfterSeconds = Math.max(1, Math.ceil(config.check_interval / 1000));
    const limiter = new MemoryLimiter({
      limits,
      checkIntervalMs: config.check_interval,
      readUsage: allocatedBytes,
      forceGc,
      onChange(refusing, usage) {
        const fields = {
          usageMiB: Math.round(usage / MiB),
          softLimitMiB: Math.round(limits.softBytes / MiB),
          hardLimitMiB: Math.round(limits.hardBytes / MiB),
        };
        if (refusing) {
          logger.warn(fields, 'memory usage above the soft limit: refusing data');
          host.status.reportFailure(statusId, 'memory usage above the soft limit');
        } else {
          logger.info(fields, 'memory usage below the soft limit again: accepting data');
          host.status.reportSuccess(statusId);
        }
      },
    });
    host.metrics
      .gauge('otelcol_processor_memory_limiter_refusing', '1 while the memory limiter refuses data.')
      .observe(labels, () => (limiter.refusing ? 1 : 0));
    return {
      async start() {
        logger.info({ hardLimitMiB: Math.round(limits.hardBytes / MiB), softLimitMiB: Math.round(limits.softBytes / MiB) }, 'memory limiter active');
        limiter.start();
      },
      async shutdown() {
        limiter.stop();
        host.status.forget(statusId);
      },
      consumeTraces(batch: TraceBatch) {
        if (limiter.refusing) {
          refused.add(batch.spanCount);
          return Promise.reject(new PipelineError('data refused: memory usage is above the memory_limiter soft limit', { retryable: true, retryAfterSeconds }));
        }
        return next.consumeTraces(batch);
      },
    };
  },
};
