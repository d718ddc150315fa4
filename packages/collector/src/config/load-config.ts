import type { ComponentRegistry } from '../component/registry.js';
import { resolveCollectorConfig, type CollectorConfig } from './collector-config.js';
import type { ConfigLocations } from './resolve-config.js';

/**
 * Loads the config a command line names: one file path, several `--config` values (paths or
 * `file:`, `env:`, `yaml:` URIs, merged in order) or those plus `--set` values.
 */
export async function loadCollectorConfig(
  locations: string | string[] | ConfigLocations,
  registry: ComponentRegistry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CollectorConfig> {
  const normalized = typeof locations === 'string' ? { configs: [locations] } : Array.isArray(locations) ? { configs: locations } : locations;
  return resolveCollectorConfig(normalized, registry, { env }).config;
}
