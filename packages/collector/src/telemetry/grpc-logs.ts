import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * grpc-js writes its own log lines to stderr (`E No address added out of total 1 resolved…`
 * when a port is taken), beside the collector's structured log and saying again, less clearly,
 * what the collector reports itself. They go to the collector's log at debug level instead.
 */
export function routeGrpcLogs(logger: Logger): void {
  const child = logger.child({ component: 'grpc-js' });
  const write = (...args: unknown[]) => child.debug(format(...args));
  setLogger({ error: write, info: write, debug: write });
}
