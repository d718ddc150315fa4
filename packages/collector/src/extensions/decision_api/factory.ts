import type { ExtensionFactory } from '../../component/component.js';
import { openStoreAt } from '../../component/start-error.js';
import { DecisionApiServer } from './api-server.js';
import { decisionApiSchema, type DecisionApiConfig } from './config.js';

export const decisionApiFactory: ExtensionFactory<DecisionApiConfig> = {
  kind: 'extension',
  type: 'decision_api',
  configSchema: decisionApiSchema,
  create({ id, config, host, logger }) {
    let server: DecisionApiServer | undefined;
    return {
      async start() {
        const store = await openStoreAt(`extensions.${id}.storage`, config.storage, (url) => host.openStore(url));
        server = new DecisionApiServer(config, store, logger, host.redactPostedEvents);
        await server.start();
      },
      async shutdown() {
        await server?.shutdown();
      },
    };
  },
};
