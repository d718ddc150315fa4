import { defaultComponents } from '../components.js';
import { resolveCollectorConfig } from '../config/collector-config.js';
import { ConfigErrors } from '../config/config-error.js';
import { configLocations, describeLocations, type ConfigOptions } from './config-options.js';

/**
 * `decision-trace validate`: the checks `start` makes before it opens anything (the same
 * loading, merging and validation), so CI can check a config without starting a collector.
 * Exit 0 valid; 2 the problems, each with its YAML path (and source, with several).
 */
export async function validateCommand(options: ConfigOptions): Promise<void> {
  const locations = configLocations(options);
  try {
    resolveCollectorConfig(locations, defaultComponents());
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    process.stderr.write(`decision-trace: ${describeLocations(locations)}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`${describeLocations(locations)}: valid\n`);
}
