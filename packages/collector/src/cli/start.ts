import { sqliteDriverInUse } from '@decision-trace/store';
import { envVariablesAt } from '../config/env-source.js';
import { defaultComponents } from '../components.js';
import { StartError } from '../component/start-error.js';
import { ConfigErrors } from '../config/config-error.js';
import { resolveCollectorConfig, type ResolvedCollectorConfig } from '../config/collector-config.js';
import { configLocations, describeLocations, type ConfigOptions } from './config-options.js';
import { CollectorService } from '../pipeline/service.js';
import { collectorLogger } from '../telemetry/collector-logger.js';
import { routeGrpcLogs } from '../telemetry/grpc-logs.js';

/** ` (set by DT_X in the config: change DT_X to move it)` when the failing key's value comes from the environment. */
function envHint(sources: ResolvedCollectorConfig['sources'], key: string): string {
  // The last file that sets the key is the one whose value counts.
  for (const source of [...sources].reverse()) {
    if (source.fileText === undefined) continue;
    const variables = envVariablesAt(source.fileText, key);
    if (variables.length > 0) return ` (the config takes ${key} from ${variables.join(', ')}: set ${variables.length > 1 ? 'them' : 'it'} to change it)`;
  }
  return '';
}

/** Time allowed past shutdown_timeout for components that are already late to let go. */
const SHUTDOWN_OVERRUN_MS = 5_000;

/**
 * Exit codes: 0 clean shutdown; 1 a component failed to start (a storage path that cannot be
 * written, a database that does not answer, an address in use: the message names the YAML key),
 * or a shutdown overran; 2 an invalid config.
 */
export async function startCommand(options: ConfigOptions): Promise<void> {
  const locations = configLocations(options);
  const where = describeLocations(locations);
  let config;
  let sources: ResolvedCollectorConfig['sources'];
  try {
    ({ config, sources } = resolveCollectorConfig(locations, defaultComponents()));
  } catch (error) {
    if (error instanceof ConfigErrors) {
      process.stderr.write(`decision-trace: ${where}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = collectorLogger(config.service.telemetry.logs, { service: 'decision-trace-collector' });
  routeGrpcLogs(logger);
  const service = new CollectorService(config, logger);
  try {
    await service.start();
  } catch (error) {
    // A StartError names the setting at fault (`exporters.decisions.storage: cannot open …`).
    const key = error instanceof StartError ? error.path : undefined;
    const message = (error instanceof Error ? error.message : String(error)) + (key === undefined ? '' : envHint(sources, key));
    // The message says it all; `err` is the underlying error, with its stack.
    logger.fatal({ key, err: error instanceof StartError ? (error.cause ?? error) : error }, `collector failed to start: ${message}`);
    process.stderr.write(`decision-trace: ${where}: failed to start: ${message}\n`);
    process.exit(1);
  }
  // Which SQLite driver the stores run on (none opened: no field), and why not better-sqlite3 when it stood down.
  const sqlite = sqliteDriverInUse();
  const sqliteFields =
    sqlite === null
      ? {}
      : { sqlite_driver: sqlite.driver.name, ...(sqlite.fallbackReason === undefined ? {} : { sqlite_driver_reason: sqlite.fallbackReason }) };
  logger.info({ config: locations.configs, set: locations.sets, ...sqliteFields }, 'collector started');

  // SIGTERM/SIGINT: stop accepting, flush for up to service.shutdown_timeout (persistent queues
  // keep the rest), then exit. A second signal, or a shutdown that overruns, exits at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for the shutdown to finish');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, shutdownTimeoutMs: config.service.shutdown_timeout }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.service.shutdown_timeout + SHUTDOWN_OVERRUN_MS).unref();
    service.shutdown().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
