import type { ConnectorFactory } from '../../component/component.js';
import { decisionAnomalyConnectorSchema, type DecisionAnomalyConnectorConfig } from './config.js';
import { DecisionAnomalyConnector } from './decision-anomaly-connector.js';

/** Alerts when a decision type's outcome mix, policy pass rates or confidence shift (see the README). */
export const decisionAnomalyConnectorFactory: ConnectorFactory<DecisionAnomalyConnectorConfig> = {
  kind: 'connector',
  type: 'decision_anomaly',
  configSchema: decisionAnomalyConnectorSchema,
  pairs: [['traces', 'metrics']],
  createTracesToMetrics({ config, logger, upstream = [] }, next) {
    const extractItself = upstream.length === 0 || upstream.some((p) => !p.processors.some((processor) => processor.split('/')[0] === 'decision'));
    return new DecisionAnomalyConnector(config, logger, next, { extractItself });
  },
};
