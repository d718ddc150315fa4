import type { PipelineStore } from '../../component/component.js';
import { ConfigError } from '../../config/config-error.js';
import { DEFAULT_STORAGE } from '../../shared/default-storage.js';

/**
 * The store a decision API without `storage` serves: the one its pipelines' `decisions`
 * exporter writes, so the API never shows a different (empty) file than the one being filled.
 * Several exporters writing one URL are one store; exporters writing different stores leave no
 * right answer, and the config is refused. No exporter writing a local store (a remote
 * backend, NATS): the default file, as before.
 */
export function storageFromPipelines(stores: readonly PipelineStore[]): string {
  const urls = [...new Set(stores.map((store) => store.url))];
  if (urls.length === 1) return urls[0]!;
  if (urls.length === 0) return DEFAULT_STORAGE;
  const written = stores.map((store) => `exporters.${store.exporter} writes ${store.url}`).join(', ');
  throw new ConfigError('storage', `required when the pipelines write several stores (${written}): set it to the store this API serves`);
}
