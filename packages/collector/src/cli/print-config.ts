import { stringify } from 'yaml';
import { defaultComponents } from '../components.js';
import { resolveCollectorConfig } from '../config/collector-config.js';
import { ConfigErrors } from '../config/config-error.js';
import { configLocations, describeLocations, type ConfigOptions } from './config-options.js';

/**
 * `decision-trace print-config`: the config the sources resolve to (merged, `--set` applied,
 * references expanded and typed as the components took them), as the Collector's print-config
 * shows it, but as written (defaults are not filled in). Validated first, as there: an invalid
 * config exits 2 with its problems. Secrets are printed as they are: treat the output so.
 */
export async function printConfigCommand(options: ConfigOptions & { format: string }): Promise<void> {
  const locations = configLocations(options);
  let effective;
  try {
    effective = resolveCollectorConfig(locations, defaultComponents()).effective;
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    process.stderr.write(`decision-trace: ${describeLocations(locations)}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.format === 'json') process.stdout.write(`${JSON.stringify(effective, null, 2)}\n`);
  else if (options.format === 'yaml') process.stdout.write(stringify(effective));
  else {
    process.stderr.write(`decision-trace: unknown --format ${options.format}: expected yaml or json\n`);
    process.exitCode = 2;
  }
}
