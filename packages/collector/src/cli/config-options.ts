import type { Command } from 'commander';
import type { ConfigLocations } from '../config/resolve-config.js';

export const DEFAULT_CONFIG_FILE = 'collector-config.yaml';

export interface ConfigOptions {
  config: string[];
  set: string[];
  featureGates: string[];
}

const collect = (value: string, all: string[] = []) => [...all, value];

/**
 * `--config` (repeatable) and `--set` (repeatable), as the OpenTelemetry Collector takes them,
 * for every command that reads a collector config.
 */
export function withConfigOptions(command: Command): Command {
  return command
    .option(
      '-c, --config <file or URI>',
      `collector config (OpenTelemetry Collector layout): a path, file:<path>, env:<VAR> or yaml:<key::path: value>; repeat to merge several, later ones win (default: ${DEFAULT_CONFIG_FILE})`,
      collect,
      [],
    )
    .option('--set <key.path=value>', 'set one key after every --config (`.` or `::` between keys, the value is YAML); repeatable', collect, [])
    .option('--feature-gates <gates>', 'comma-separated feature gates (+name on, -name off); this collector has confmap.enableMergeAppendOption', collect, []);
}

export function configLocations(options: ConfigOptions): ConfigLocations {
  return { configs: options.config.length > 0 ? options.config : [DEFAULT_CONFIG_FILE], sets: options.set, featureGates: options.featureGates };
}

/** How messages name the config: the file, or every source in order. */
export function describeLocations(locations: ConfigLocations): string {
  return [...locations.configs, ...(locations.sets ?? []).map((set) => `--set ${set}`)].join(', ');
}
