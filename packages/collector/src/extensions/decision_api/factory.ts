import type { ExtensionFactory } from '../../component/component.js';
import { openStoreAt } from '../../component/start-error.js';
import { DecisionApiServer } from './api-server.js';
import { decisionApiSchema, type DecisionApiConfig } from './config.js';
import { storageFromPipelines } from './storage-from-pipelines.js';

export const decisionApiFactory: ExtensionFactory<DecisionApiConfig> = {
  kind: 'extension',
  type: 'decision_api',
  configSchema: decisionApiSchema,
  withPipelineStores: (config, stores) => (config.storage !== undefined ? config : { ...config, storage: storageFromPipelines(stores) }),
  create({ id, config, host, logger }) {
    let server: DecisionApiServer | undefined;
    return {
      async start() {
        // withPipelineStores filled storage in when the config was loaded; a config built
        // without that step gets what the pipelines would give when none writes a store.
        const url = config.storage ?? storageFromPipelines([]);
        const store = await openStoreAt(`extensions.${id}.storage`, url, (u) => host.openStore(u));
        server = new DecisionApiServer(config, store, logger, host.redactPostedEvents);
        await server.start(`extensions.${id}.endpoint`);
      },
      async shutdown() {
        await server?.shutdown();
      },
    };
  },
};
