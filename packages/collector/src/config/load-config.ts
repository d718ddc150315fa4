import { readFile } from 'node:fs/promises';
import type { ComponentRegistry } from '../component/registry.js';
import { parseCollectorConfig, type CollectorConfig } from './collector-config.js';
import { ConfigError, ConfigErrors } from './config-error.js';

export async function loadCollectorConfig(
  file: string,
  registry: ComponentRegistry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CollectorConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigErrors([new ConfigError('', `cannot read config file ${file}: ${(error as Error).message}`)]);
  }
  return parseCollectorConfig(text, registry, env);
}
