import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { StartError } from '../component/start-error.js';
import type { Endpoint } from '../config/values.js';

type Server = HttpServer | HttpsServer;

/**
 * Binds a server and resolves once it listens, rejecting with a StartError that names the YAML
 * key of the address (`keyPath`, e.g. `receivers.otlp.protocols.http.endpoint`) and a readable
 * reason (e.g. port in use).
 */
export function listen(server: Server, endpoint: Endpoint, keyPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new StartError(keyPath, cannotListen(`${endpoint.host}:${endpoint.port}`, error), { cause: error }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(endpoint.port, endpoint.host);
  });
}

/** The reason a bind failed, in words; `target` is `host:port` as configured. */
export function cannotListen(target: string, error: NodeJS.ErrnoException): string {
  const reason =
    error.code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(error.message)
      ? 'address already in use'
      : error.code === 'EACCES'
        ? 'permission denied'
        : error.code === 'EADDRNOTAVAIL'
          ? 'no such address on this machine'
          : error.message;
  return `cannot listen on ${target}: ${reason}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
