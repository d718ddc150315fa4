import { isAbsolute } from 'node:path';
import type { ExtensionFactory } from '../component/component.js';
import type { ComponentRegistry } from '../component/registry.js';
import { ConfigError, joinPath } from './config-error.js';
import type { ResolvedComponent } from './resolved-component.js';

/**
 * What `sending_queue.storage` names. The Collector takes only a storage extension's id there
 * (`file_storage`, `file_storage/<name>`); we also take a directory path. A value is an
 * extension id when it has the id's shape and its type is a known extension type or ends in
 * `_storage` (the Collector's storage extensions: file_storage, db_storage, redis_storage …);
 * anything else is a directory. `./file_storage/x` is the way to mean a folder of that name.
 */
const EXTENSION_ID = /^([a-zA-Z][0-9a-zA-Z_]*)(?:\/([^/]+))?$/;

export function storageExtensionType(value: string, registry: ComponentRegistry): string | undefined {
  if (isAbsolute(value)) return undefined;
  const match = EXTENSION_ID.exec(value);
  if (!match) return undefined;
  const type = match[1]!;
  return type.endsWith('_storage') || registry.get('extension', type) !== undefined ? type : undefined;
}

/**
 * Resolves every exporter's `sending_queue.storage` (and a connector's `storage`) that names an
 * extension to that extension's directory (the exporter keeps its queue in its own folder below
 * it, the connector its state). A reference to an extension that is not configured, not enabled in service.extensions, or not a storage
 * extension is refused; the Collector refuses those too, though only when it starts.
 */
export function resolveStorageReferences(
  sections: {
    exporters: ReadonlyMap<string, ResolvedComponent>;
    extensions: ReadonlyMap<string, ResolvedComponent>;
    connectors?: ReadonlyMap<string, ResolvedComponent>;
  },
  enabled: readonly string[],
  registry: ComponentRegistry,
  errors: ConfigError[],
): void {
  const references = [
    ...[...sections.exporters.values()].flatMap((exporter) =>
      sendingQueues(exporter.config).map(({ path, queue }) => ({ holder: queue, at: joinPath('exporters', exporter.id, ...path, 'storage') })),
    ),
    // A connector that keeps state (decision_anomaly's baselines) names its storage at the top level.
    ...[...(sections.connectors?.values() ?? [])]
      .filter((connector) => connector.config !== null && typeof connector.config === 'object')
      .map((connector) => ({ holder: connector.config as { storage?: unknown }, at: joinPath('connectors', connector.id, 'storage') })),
  ];
  for (const { holder, at } of references) {
    const value = holder.storage;
    if (typeof value !== 'string') continue;
    const type = storageExtensionType(value, registry);
    if (type === undefined) continue;
    const factory = registry.get('extension', type) as ExtensionFactory | undefined;
    if (!factory) {
      errors.push(new ConfigError(at, `"${value}" names a storage extension this collector does not have: use file_storage (or a directory path)`));
      continue;
    }
    if (!factory.storageDirectory) {
      errors.push(new ConfigError(at, `"${value}" is not a storage extension: name a file_storage extension (or a directory path)`));
      continue;
    }
    const extension: ResolvedComponent | undefined = sections.extensions.get(value);
    if (!extension) {
      errors.push(new ConfigError(at, `extension "${value}" is not configured: add it under extensions (with its directory) and to service.extensions`));
      continue;
    }
    if (!enabled.includes(value)) {
      errors.push(new ConfigError(at, `extension "${value}" is configured but not enabled: add it to service.extensions`));
      continue;
    }
    holder.storage = factory.storageDirectory(extension.config);
  }
}

/** Every `sending_queue` map in a parsed exporter config (top level, or nested as in load_balancing). */
function sendingQueues(config: unknown, path: string[] = []): Array<{ path: string[]; queue: { storage?: unknown } }> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  const out: Array<{ path: string[]; queue: { storage?: unknown } }> = [];
  for (const [key, value] of Object.entries(config)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    if (key === 'sending_queue') out.push({ path: [...path, key], queue: value as { storage?: unknown } });
    else out.push(...sendingQueues(value, [...path, key]));
  }
  return out;
}
