import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { DnsResolverConfig } from './config.js';
import type { BackendResolver, ResolverMetrics } from './resolver.js';

/** Every address a name has, as node:dns `lookup` gives them (hosts file and DNS, like the Collector's Go resolver). */
export type AddressLookup = (hostname: string) => Promise<string[]>;

export const systemLookup: AddressLookup = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * `resolver.dns`: resolves `hostname` every `interval` (each look-up bounded by `timeout`);
 * each address is a backend at `port`. A failed or timed-out look-up keeps the backends known
 * so far — a DNS hiccup must not empty the ring — and is counted.
 */
export class DnsResolver implements BackendResolver {
  private timer?: NodeJS.Timeout;
  private current?: string;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly config: DnsResolverConfig,
    private readonly logger: Logger,
    private readonly metrics?: ResolverMetrics,
    private readonly lookupAddresses: AddressLookup = systemLookup,
  ) {}

  async start(onChange: (backends: readonly string[]) => void): Promise<void> {
    const resolveOnce = async () => {
      const backends = await this.resolve();
      if (backends === undefined || this.stopped) return;
      const key = backends.join(',');
      if (key === this.current) return;
      this.current = key;
      onChange(backends);
    };
    await resolveOnce();
    if (this.current === undefined) onChange([]);
    this.timer = setInterval(() => {
      // One look-up at a time: a slow resolver is not asked again before it answered.
      if (this.running || this.stopped) return;
      this.running = resolveOnce().finally(() => (this.running = undefined));
    }, this.config.interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** The sorted backend addresses, or undefined when the look-up failed. */
  private async resolve(): Promise<string[] | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`DNS look-up of ${this.config.hostname} timed out after ${this.config.timeout} ms`)), this.config.timeout);
    });
    try {
      const addresses = await Promise.race([this.lookupAddresses(this.config.hostname), timeout]);
      this.metrics?.resolution(true);
      const backends = [...new Set(addresses.map((address) => withPort(address, this.config.port)))].sort();
      return backends;
    } catch (error) {
      this.metrics?.resolution(false);
      this.logger.warn({ err: error, hostname: this.config.hostname }, 'load_balancing: DNS resolution failed; keeping the current backends');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

function withPort(address: string, port: number): string {
  return address.includes(':') ? `[${address.toLowerCase()}]:${port}` : `${address}:${port}`;
}
