/**
 * Where the backends come from. A resolver reports the full, sorted list of backend addresses
 * (`host:port`) whenever it changes; the load balancer rebuilds its ring from it.
 */
export interface BackendResolver {
  /** Resolves once the first list was reported (possibly empty, when the first look-up failed). */
  start(onChange: (backends: readonly string[]) => void): Promise<void>;
  shutdown(): Promise<void>;
}

/** What a resolver counts, with the Collector's metric names (label `resolver`). */
export interface ResolverMetrics {
  resolution(success: boolean): void;
}

/** A fixed list: `resolver.static.hostnames`. */
export class StaticResolver implements BackendResolver {
  constructor(
    private readonly hostnames: readonly string[],
    private readonly metrics?: ResolverMetrics,
  ) {}

  async start(onChange: (backends: readonly string[]) => void): Promise<void> {
    this.metrics?.resolution(true);
    onChange([...new Set(this.hostnames)].sort());
  }

  async shutdown(): Promise<void> {}
}
