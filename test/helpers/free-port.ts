import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The low end of the range the OS picks local ports from, for listeners on port 0 and for every
 * outbound connection alike (Linux: /proc/sys/net/ipv4/ip_local_port_range, 32768 by default).
 */
function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 12_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST = 10_000;
const BELOW_EPHEMERAL = ephemeralRangeStart();
/** Ports this process handed out, so two calls in a row never hand out the same one. */
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port free on loopback, to hand to a child process. It is drawn below the OS's ephemeral
 * range: a port the OS hands out for port 0 comes from that range, and once released it can be
 * given to any outbound connection's local end before the child binds it (a collector then failed
 * with EADDRINUSE, in CI, right after a test that opened many connections). Below the range only
 * listeners compete, and the bind check sees those.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (BELOW_EPHEMERAL - LOWEST));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  // Practically unreachable: let the OS choose, as before.
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
