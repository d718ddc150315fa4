import type { ConnectorFactory } from '../../component/component.js';
import { decisionMetricsConnectorSchema, type DecisionMetricsConnectorConfig } from './config.js';
import { DecisionMetricsConnector } from './decision-metrics-connector.js';

/** Turns the decisions of traces pipelines into metrics for metrics pipelines (see the README). */
export const decisionMetricsConnectorFactory: ConnectorFactory<DecisionMetricsConnectorConfig> = {
  kind: 'connector',
  type: 'decision_metrics',
  configSchema: decisionMetricsConnectorSchema,
  pairs: [['traces', 'metrics']],
  createTracesToMetrics({ id, config, logger, upstream = [] }, next) {
    // Behind a decision processor in every pipeline that feeds it, the decisions are on the
    // batches already: a batch without any has none, and its spans need not be read again.
    const extractItself = upstream.length === 0 || upstream.some((p) => !p.processors.some((processor) => processor.split('/')[0] === 'decision'));
    return new DecisionMetricsConnector(id, config, logger, next, { extractItself });
  },
};
