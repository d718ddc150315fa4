import { ComponentRegistry } from './component/registry.js';
import { decisionsExporterFactory } from './exporters/decisions/factory.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { decisionApiFactory } from './extensions/decision_api/factory.js';
import { decisionProcessorFactory } from './processors/decision/factory.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';

/** Every component type this build of the collector knows. */
export function defaultComponents(): ComponentRegistry {
  return new ComponentRegistry()
    .register(otlpReceiverFactory)
    .register(decisionProcessorFactory)
    .register(decisionsExporterFactory)
    .register(debugExporterFactory)
    .register(decisionApiFactory);
}
