import type { ConnectorFactory } from '../../component/component.js';
import { decisionAnomalyConnectorSchema, type DecisionAnomalyConnectorConfig } from './config.js';
import { DecisionAnomalyConnector } from './decision-anomaly-connector.js';

/** Alerts when a decision type's outcome mix, policy pass rates or confidence shift (see the README). */
export const decisionAnomalyConnectorFactory: ConnectorFactory<DecisionAnomalyConnectorConfig> = {
  kind: 'connector',
  type: 'decision_anomaly',
  configSchema: decisionAnomalyConnectorSchema,
  pairs: [
    ['traces', 'metrics'],
    ['traces', 'logs'],
  ],
  createTracesToMetrics({ config, logger, upstream = [] }, next) {
    return new DecisionAnomalyConnector(config, logger, { metrics: next }, { extractItself: extractsItself(upstream) });
  },
  createTracesToLogs({ config, logger, upstream = [] }, next) {
    return new DecisionAnomalyConnector(config, logger, { logs: next }, { extractItself: extractsItself(upstream) });
  },
};

/** Behind a decision processor in every pipeline that feeds it, the decisions are on the batches already. */
function extractsItself(upstream: ReadonlyArray<{ processors: readonly string[] }>): boolean {
  return upstream.length === 0 || upstream.some((p) => !p.processors.some((processor) => processor.split('/')[0] === 'decision'));
}
