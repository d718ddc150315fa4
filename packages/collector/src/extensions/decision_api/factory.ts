import type { ExtensionFactory } from '../../component/component.js';
import { DecisionApiServer } from './api-server.js';
import { decisionApiSchema, type DecisionApiConfig } from './config.js';

export const decisionApiFactory: ExtensionFactory<DecisionApiConfig> = {
  kind: 'extension',
  type: 'decision_api',
  configSchema: decisionApiSchema,
  create({ config, host, logger }) {
    let server: DecisionApiServer | undefined;
    return {
      async start() {
        server = new DecisionApiServer(config, await host.openStore(config.storage), logger);
        await server.start();
      },
      async shutdown() {
        await server?.shutdown();
      },
    };
  },
};
