import { createServer } from 'node:net';

/** A port the OS just handed out on loopback; good enough to hand to a child process. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fixed address a test needs, and the variable that moves the collector off it. */
export interface FixedPort {
  host: string;
  port: number;
  /** What the user can change instead: `DT_API_ENDPOINT`. */
  movedBy: string;
}

/**
 * Fails at once, naming the ports, when a fixed port is taken (by a collector the user left
 * running, say) — rather than starting beside it and reading the other process's data.
 */
export async function assertPortsFree(ports: readonly FixedPort[]): Promise<void> {
  const taken: string[] = [];
  for (const fixed of ports) {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const server = createServer();
      server.once('error', (e: NodeJS.ErrnoException) => resolve(e));
      server.listen(fixed.port, fixed.host, () => server.close(() => resolve(null)));
    });
    if (error !== null) taken.push(`${fixed.host}:${fixed.port} (${error.code}; the collector's ${fixed.movedBy})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `this test needs the default ports, and these are taken: ${taken.join(', ')}. ` +
        'Stop whatever listens there (a collector left running?) and run the test again.',
    );
  }
}
