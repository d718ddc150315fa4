import { defaultComponents } from '../components.js';
import { ConfigErrors } from '../config/config-error.js';
import { loadCollectorConfig } from '../config/load-config.js';

/**
 * `decision-trace validate`: the checks `start` makes before it opens anything (the same
 * loading and validation), so CI can check a config without starting a collector.
 * Exit 0 valid; 2 the problems, each with its YAML path.
 */
export async function validateCommand(options: { config: string }): Promise<void> {
  try {
    await loadCollectorConfig(options.config, defaultComponents());
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    process.stderr.write(`decision-trace: ${options.config}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(`${options.config}: valid\n`);
}
