import { mkdir } from 'node:fs/promises';
import type { ExtensionFactory } from '../../component/component.js';
import { StartError } from '../../component/start-error.js';
import { fileStorageSchema, type FileStorageConfig } from './config.js';

/**
 * `file_storage`: a directory that exporters name in `sending_queue.storage: file_storage[/name]`
 * to keep their persistent queue there, each exporter in its own folder (as the Collector's
 * exporterhelper does with this extension). It holds no state itself; with create_directory it
 * creates the directory at start, before the exporters open their queues.
 */
export const fileStorageFactory: ExtensionFactory<FileStorageConfig> = {
  kind: 'extension',
  type: 'file_storage',
  configSchema: fileStorageSchema,
  storageDirectory: (config) => config.directory,
  create({ id, config, logger }) {
    return {
      async start() {
        if (!config.create_directory) return;
        try {
          await mkdir(config.directory, { recursive: true, mode: parseInt(config.directory_permissions, 8) });
        } catch (error) {
          throw new StartError(`extensions.${id}.directory`, `cannot create ${config.directory}: ${(error as Error).message}`, { cause: error });
        }
        logger.debug({ directory: config.directory }, 'file storage directory ready');
      },
      async shutdown() {},
    };
  },
};
