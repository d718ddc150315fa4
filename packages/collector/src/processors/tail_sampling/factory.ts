import type { ProcessorFactory } from '../../component/component.js';
import { tailSamplingSchema, type TailSamplingProcessorConfig } from './config.js';
import { TailSamplingProcessor } from './tail-sampling-processor.js';

/** Tail sampling with the OpenTelemetry Collector's config and semantics, plus `decision` policies. */
export const tailSamplingProcessorFactory: ProcessorFactory<TailSamplingProcessorConfig> = {
  kind: 'processor',
  type: 'tail_sampling',
  configSchema: tailSamplingSchema,
  create({ config, logger }, next) {
    return new TailSamplingProcessor(config, next, logger);
  },
};
