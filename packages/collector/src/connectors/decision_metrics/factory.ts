import type { ConnectorFactory } from '../../component/component.js';
import { decisionMetricsConnectorSchema, type DecisionMetricsConnectorConfig } from './config.js';
import { DecisionMetricsConnector } from './decision-metrics-connector.js';

/** Turns the decisions of traces pipelines into metrics for metrics pipelines (see the README). */
export const decisionMetricsConnectorFactory: ConnectorFactory<DecisionMetricsConnectorConfig> = {
  kind: 'connector',
  type: 'decision_metrics',
  configSchema: decisionMetricsConnectorSchema,
  pairs: [['traces', 'metrics']],
  createTracesToMetrics({ id, config, logger }, next) {
    return new DecisionMetricsConnector(id, config, logger, next);
  },
};
