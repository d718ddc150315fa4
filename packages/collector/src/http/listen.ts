import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Endpoint } from '../config/values.js';

type Server = HttpServer | HttpsServer;

/** Binds a server and resolves once it listens, rejecting with a readable reason (e.g. port in use). */
export function listen(server: Server, endpoint: Endpoint, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const reason = error.code === 'EADDRINUSE' ? 'address already in use' : error.message;
      reject(new Error(`${what}: cannot listen on ${endpoint.host}:${endpoint.port}: ${reason}`));
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

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
