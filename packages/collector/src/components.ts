import { ComponentRegistry } from './component/registry.js';
import { decisionsExporterFactory } from './exporters/decisions/factory.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { otlpGrpcExporterFactory } from './exporters/otlp/factory.js';
import { otlpHttpExporterFactory } from './exporters/otlphttp/factory.js';
import { loadBalancingExporterFactory } from './exporters/load_balancing/factory.js';
import { fileStorageFactory } from './extensions/file_storage/factory.js';
import { healthCheckFactory } from './extensions/health_check/factory.js';
import { batchProcessorFactory } from './processors/batch/factory.js';
import { memoryLimiterProcessorFactory } from './processors/memory_limiter/factory.js';
import { decisionApiFactory } from './extensions/decision_api/factory.js';
import { decisionProcessorFactory } from './processors/decision/factory.js';
import { probabilisticSamplerFactory } from './processors/probabilistic_sampler/factory.js';
import { rateLimitingProcessorFactory } from './processors/rate_limiting/factory.js';
import { redactionProcessorFactory } from './processors/redaction/factory.js';
import { tailSamplingProcessorFactory } from './processors/tail_sampling/factory.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';
import { decisionMetricsConnectorFactory } from './connectors/decision_metrics/factory.js';
import { decisionAnomalyConnectorFactory } from './connectors/decision_anomaly/factory.js';

/** Every component type this build of the collector knows. */
export function defaultComponents(): ComponentRegistry {
  return new ComponentRegistry()
    .register(otlpReceiverFactory)
    .register(decisionProcessorFactory)
    .register(redactionProcessorFactory)
    .register(probabilisticSamplerFactory)
    .register(rateLimitingProcessorFactory)
    .register(tailSamplingProcessorFactory)
    .register(decisionsExporterFactory)
    .register(debugExporterFactory)
    .register(decisionApiFactory)
    .register(otlpHttpExporterFactory)
    .register(otlpGrpcExporterFactory)
    .register(loadBalancingExporterFactory)
    .register(batchProcessorFactory)
    .register(memoryLimiterProcessorFactory)
    .register(healthCheckFactory)
    .register(prometheusExporterFactory)
    .register(decisionMetricsConnectorFactory)
    .register(decisionAnomalyConnectorFactory)
    .register(fileStorageFactory);
}
