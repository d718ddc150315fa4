import type { ReadingProcessorFactory } from '../../component/component.js';
import { componentName } from '../../telemetry/component-name.js';
import { tailSamplingSchema, type TailSamplingProcessorConfig } from './config.js';
import { TailSamplingProcessor } from './tail-sampling-processor.js';

/** Tail sampling with the OpenTelemetry Collector's config and semantics, plus `decision` policies. */
export const tailSamplingProcessorFactory: ReadingProcessorFactory<TailSamplingProcessorConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  type: 'tail_sampling',
  configSchema: tailSamplingSchema,
  create({ id, config, logger, host, pipeline, clock, onTraceDecided }, next) {
    const labels = { processor: componentName(id, pipeline), pipeline: pipeline ?? '' };
    return new TailSamplingProcessor(config, next, logger, { registry: host.metrics, labels }, clock, onTraceDecided);
  },
};
