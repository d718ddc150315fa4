import { join } from 'node:path';
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
  createTracesToMetrics({ id, config, logger, upstream = [] }, next) {
    return new DecisionAnomalyConnector(
      config,
      logger,
      { metrics: next },
      { extractItself: extractsItself(upstream), stateFile: stateFile(config, id, 'metrics') },
    );
  },
  createTracesToLogs({ id, config, logger, upstream = [] }, next) {
    return new DecisionAnomalyConnector(config, logger, { logs: next }, { extractItself: extractsItself(upstream), stateFile: stateFile(config, id, 'logs') });
  },
};

/**
 * Each instance (one per signal it feeds) its own file in the storage directory (`storage` is
 * resolved to the extension's directory by the config loader, see config/storage-references.ts).
 */
function stateFile(config: DecisionAnomalyConnectorConfig, id: string, signal: 'metrics' | 'logs'): string | undefined {
  return config.storage === undefined ? undefined : join(config.storage, `${id.replace('/', '~')}~${signal}.json`);
}

/** Behind a decision processor in every pipeline that feeds it, the decisions are on the batches already. */
function extractsItself(upstream: ReadonlyArray<{ processors: readonly string[] }>): boolean {
  return upstream.length === 0 || upstream.some((p) => !p.processors.some((processor) => processor.split('/')[0] === 'decision'));
}
