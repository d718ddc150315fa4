import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { z } from 'zod';
import { durationSchema } from '../config/values.js';

/**
 * Connection limits of an HTTP server component (the otlp receiver's `protocols.http`,
 * `decision_api`), named as the Collector's confighttp server settings. Without them a client
 * trickling its body one byte at a time held a connection for Node's 5-minute request timeout,
 * and any number of such connections could be open at once.
 */
export const serverLimitsShape = {
  /** Time to receive the request line and headers (Node's `headersTimeout`); then 408 and close. */
  read_header_timeout: durationSchema.default(10_000),
  /** Time to receive the whole request, body included (Node's `requestTimeout`); then 408 and close. */
  read_timeout: durationSchema.default(60_000),
  /** How long a keep-alive connection may wait for its next request (Node's `keepAliveTimeout`). */
  idle_timeout: durationSchema.default(65_000),
  /** Open connections at most; further ones are closed as they arrive. 0: no cap. */
  max_connections: z.number().int().nonnegative().default(1000),
};

export interface ServerLimits {
  read_header_timeout: number;
  read_timeout: number;
  idle_timeout: number;
  max_connections: number;
}

/**
 * Node checks the two read timeouts on a timer; by default every 30 s, which would let a
 * trickling client keep a connection up to 30 s past its timeout.
 */
export function serverOptionsFor(limits: ServerLimits): ServerOptions {
  const shortest = Math.min(limits.read_header_timeout || Infinity, limits.read_timeout || Infinity);
  return { connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(shortest / 4))) };
}

export function applyServerLimits(server: HttpServer | HttpsServer, limits: ServerLimits): void {
  // Node refuses a headersTimeout above requestTimeout (when that is set).
  server.requestTimeout = limits.read_timeout;
  server.headersTimeout = limits.read_timeout === 0 ? limits.read_header_timeout : Math.min(limits.read_header_timeout, limits.read_timeout);
  server.keepAliveTimeout = limits.idle_timeout;
  if (limits.max_connections > 0) server.maxConnections = limits.max_connections;
}
