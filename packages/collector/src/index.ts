export * from './component/component.js';
export { ComponentRegistry } from './component/registry.js';
export { CollectingConsumer } from './component/collecting-consumer.js';
export { PipelineError } from './component/pipeline-error.js';
export { ConfigError, ConfigErrors } from './config/config-error.js';
export { parseCollectorConfig, type CollectorConfig } from './config/collector-config.js';
export { loadCollectorConfig } from './config/load-config.js';
export { defaultComponents } from './components.js';
export { CollectorService } from './pipeline/service.js';
