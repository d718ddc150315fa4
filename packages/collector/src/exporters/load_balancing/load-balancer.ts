import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { Logger } from 'pino';
import type { ExporterComponent, Host, ShutdownContext, TraceBatch } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { ExportError } from '../../exporter-helper/export-error.js';
import { queueDirectoryName } from '../../exporter-helper/queued-exporter.js';
import type { CounterHandle } from '../../telemetry/metrics-registry.js';
import { Backend } from './backend.js';
import type { LoadBalancingExporterConfig } from './config.js';
import { HashRing } from './hash-ring.js';
import type { BackendResolver } from './resolver.js';
import { routeBatch } from './route-batch.js';

export interface LoadBalancerOptions {
  id: string;
  config: LoadBalancingExporterConfig;
  logger: Logger;
  host: Host;
  resolver: BackendResolver;
}

/** How long a retired backend's queue may take to drain into the new owners when retries never give up. */
const UNBOUNDED_RETIREMENT_MS = 10 * 60_000;
/** A part re-dispatched because its backend retired meanwhile is tried this many times. */
const MAX_REDISPATCH = 3;

/**
 * The `load_balancing` exporter: splits each batch by routing key (trace id or service) over a
 * consistent-hash ring of backends and hands each part to that backend's queued OTLP/gRPC
 * exporter. It resolves once every part is queued (with storage: on disk), as any queued
 * exporter does; if one part is refused, the client is asked to retry the whole request, so the
 * parts already queued arrive twice (at least once, as the Collector does).
 *
 * Membership changes come from the resolver. The ring is rebuilt first, then each backend that
 * left is retired: its queued requests are decoded and dispatched again through the new ring,
 * so its traces reach their new owners instead of being lost. A retiring address stays out of
 * the ring until its queue is empty, so that a backend that flaps never owns two queues.
 */
export class LoadBalancingExporter implements ExporterComponent {
  private ring = new HashRing([]);
  private readonly backends = new Map<string, Backend>();
  private readonly retiring = new Map<string, { backend: Backend; done: Promise<void> }>();
  private desired: readonly string[] = [];
  private readonly stop = new AbortController();
  private stopping = false;
  private readonly rerouted: CounterHandle;
  private readonly backendUpdates: CounterHandle;

  constructor(private readonly options: LoadBalancerOptions) {
    const { host, id } = options;
    const labels = { exporter: id };
    host.metrics.gauge('otelcol_loadbalancer_num_backends', "Backends in the load balancer's ring.").observe(labels, () => this.ring.size);
    this.backendUpdates = host.metrics.counter('otelcol_loadbalancer_num_backend_updates', 'Resolutions that changed the list of backends.').with(labels);
    this.rerouted = host.metrics
      .counter('otelcol_loadbalancer_rerouted_spans_total', 'Spans queued for a backend that left the ring, sent to their new owner instead.')
      .with(labels);
  }

  /** The backends currently in the ring (sorted); for tests and logs. */
  get members(): readonly string[] {
    return this.ring.members;
  }

  async start(): Promise<void> {
    await this.options.resolver.start((backends) => this.onResolved(backends));
    await this.adoptOrphanQueues();
  }

  async consumeTraces(batch: TraceBatch): Promise<void> {
    if (this.stopping) throw new PipelineError(`exporter ${this.options.id} is shutting down`, { retryable: true, retryAfterSeconds: 1 });
    await this.dispatch(batch, 0);
  }

  async shutdown(context?: ShutdownContext): Promise<void> {
    this.stopping = true;
    await this.options.resolver.shutdown();
    const retiring = [...this.retiring.values()];
    const stopping = [...this.backends.values(), ...retiring.map((r) => r.backend)].map((backend) => backend.shutdown(context));
    this.stop.abort();
    await Promise.all([...stopping, ...retiring.map((r) => r.done)]);
  }

  private async dispatch(batch: TraceBatch, depth: number): Promise<void> {
    const ring = this.ring;
    if (ring.size === 0) {
      throw new PipelineError(`exporter ${this.options.id} has no backends (resolver found none yet)`, { retryable: true, retryAfterSeconds: 5 });
    }
    const parts = routeBatch(batch, this.options.config.routing_key, (key) => ring.indexOf(key));
    // Handed to the backends without an await in between, so the ring cannot change under the split.
    await Promise.all(
      parts.map(({ owner, batch: part }) => {
        const backend = this.backends.get(ring.members[owner])!;
        return backend.consumeTraces(part).catch((error: unknown) => {
          // The backend retired while its part was on the way: the new ring knows the new owner.
          if (backend.retired && depth < MAX_REDISPATCH) return this.dispatch(part, depth + 1);
          throw error;
        });
      }),
    );
  }

  /** The spans of a request queued for a retired backend, dispatched again through the current ring. */
  private async reroute(body: Uint8Array): Promise<void> {
    const { resourceSpans } = decodeTraceRequestProtobuf(body);
    let spanCount = 0;
    for (const rs of resourceSpans) for (const ss of rs.scopeSpans) spanCount += ss.spans.length;
    try {
      await this.dispatch({ resourceSpans, spanCount, decisions: [] }, 0);
    } catch (error) {
      if (error instanceof PipelineError && error.retryable) {
        throw ExportError.retryable(`re-routing: ${error.message}`, { throttleMs: error.retryAfterSeconds * 1000, cause: error });
      }
      throw error;
    }
    this.rerouted.add(spanCount);
  }

  private onResolved(backends: readonly string[]): void {
    if (this.stopping) return;
    this.desired = backends;
    this.backendUpdates.add();
    this.applyMembership();
  }

  private applyMembership(): void {
    if (this.stopping) return;
    const { logger } = this.options;
    const members = this.desired.filter((address) => !this.retiring.has(address));
    const leaving = [...this.backends.values()].filter((backend) => !members.includes(backend.address));
    const joining = members.filter((address) => !this.backends.has(address));
    if (leaving.length === 0 && joining.length === 0) return;

    for (const address of joining) {
      const backend = this.createBackend(address);
      this.backends.set(address, backend);
      backend.start().catch((error: unknown) => logger.error({ err: error, backend: address }, 'load_balancing: backend failed to start'));
    }
    for (const backend of leaving) this.backends.delete(backend.address);
    // The new ring first: what the leaving backends hand back must find the new owners.
    this.ring = new HashRing(this.backends.keys());
    logger.info({ backends: this.ring.members, joined: joining, left: leaving.map((b) => b.address) }, 'load_balancing: backends changed');
    for (const backend of leaving) this.retire(backend);
  }

  private createBackend(address: string): Backend {
    const { id, config, host, logger } = this.options;
    return new Backend(address, id, config.protocol.otlp, host, logger, (body) => this.reroute(body));
  }

  private retire(backend: Backend): void {
    const { retry_on_failure: retry } = this.options.config.protocol.otlp;
    const budget = retry.enabled && retry.max_elapsed_time > 0 ? retry.max_elapsed_time : UNBOUNDED_RETIREMENT_MS;
    const done = backend
      .retire(Date.now() + budget, this.stop.signal)
      .catch((error: unknown) => this.options.logger.error({ err: error, backend: backend.address }, 'load_balancing: retiring a backend failed'))
      .finally(() => {
        this.retiring.delete(backend.address);
        this.options.logger.info({ backend: backend.address }, 'load_balancing: retired backend stopped');
        this.applyMembership();
      });
    this.retiring.set(backend.address, { backend, done });
  }

  /**
   * Persistent queues of backends that are no longer members (the membership changed while this
   * collector was down, or a retirement ran out of time): their requests are re-routed too.
   */
  private async adoptOrphanQueues(): Promise<void> {
    const storage = this.options.config.protocol.otlp.sending_queue.storage;
    if (!storage || !this.options.config.protocol.otlp.sending_queue.enabled) return;
    const prefix = `${queueDirectoryName(this.options.id)}@`;
    const entries = await readdir(storage).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!entry.startsWith(prefix)) continue;
      const address = entry.slice(prefix.length);
      if (this.backends.has(address) || this.retiring.has(address)) continue;
      const files = await readdir(join(storage, entry)).catch(() => [] as string[]);
      if (!files.some((file) => file.endsWith('.log'))) continue;
      const backend = this.createBackend(address);
      this.options.logger.info({ backend: address }, 'load_balancing: re-routing the queue left by a backend that is no longer in the ring');
      this.retire(backend);
    }
  }
}
