import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { Logger } from 'pino';
import type { Host, ShutdownContext, TraceBatch } from '../../component/component.js';
import type { DeliveryClock } from '../../exporter-helper/deliver.js';
import type { RequestSender, SendOutcome } from '../../exporter-helper/export-request.js';
import { spanRequestEncoder } from '../../exporter-helper/span-export-request.js';
import { QueuedExporter } from '../../exporter-helper/queued-exporter.js';
import { OtlpGrpcSender } from '../../exporter-helper/otlp-grpc-sender.js';
import type { BackendProtocolConfig } from './config.js';

/** Hands the spans of a request that its backend can no longer take to their new owners. */
export type Reroute = (body: Uint8Array) => Promise<void>;

/**
 * One backend of the load balancer: the `otlp` exporter's sender behind the exporterhelper's
 * queue and retries, as `protocol.otlp` configures them, under the id `<exporter id>@<address>`
 * (its metrics label and its persistent queue's folder).
 *
 * When the backend leaves the ring it is *retired*: from then on every request its queue hands
 * out — waiting ones, one being sent (its attempt is cut short), one sleeping before a retry
 * (woken at once) — is re-routed through the ring instead of sent. The queue therefore drains
 * into the backends that now own its traces, and nothing it had accepted is lost.
 */
export class Backend {
  readonly id: string;
  private readonly exporter: QueuedExporter;
  private readonly sender: ReroutingSender;
  private readonly clock = new WakeableClock();
  private started?: Promise<void>;
  private stopped?: Promise<void>;

  constructor(
    readonly address: string,
    exporterId: string,
    protocol: BackendProtocolConfig,
    private readonly host: Host,
    logger: Logger,
    reroute: Reroute,
  ) {
    this.id = backendId(exporterId, address);
    this.sender = new ReroutingSender(new OtlpGrpcSender({ ...protocol, endpoint: address }), reroute);
    this.exporter = new QueuedExporter({
      id: this.id,
      settingPath: `exporters.${exporterId}.protocol.otlp`,
      logger: logger.child({ backend: address }),
      host,
      unit: 'spans',
      queue: protocol.sending_queue,
      retry: protocol.retry_on_failure,
      timeoutMs: protocol.timeout,
      sender: this.sender,
      clock: this.clock,
      // Protobuf bodies, as the otlp exporter's: this backend's waiting requests may leave as one
      // (sending_queue.merge). A merged request re-routed at retirement is decoded as one too.
      concatenable: true,
      encode: spanRequestEncoder(protocol.sending_queue, (batch) => encodeTraceRequestProtobuf(batch.resourceSpans)),
    });
  }

  get retired(): boolean {
    return this.sender.retired;
  }

  start(): Promise<void> {
    return (this.started ??= this.exporter.start());
  }

  /** Queues (or, without a queue, sends) this backend's part of a batch. */
  async consumeTraces(batch: TraceBatch): Promise<void> {
    await this.start();
    return this.exporter.consumeTraces(batch);
  }

  /**
   * Stops sending here; everything still queued is re-routed. Resolves once the queue is empty
   * (or at `deadline`, after which a persistent queue keeps what is left for the next start).
   */
  async retire(deadline: number, stopWaiting: AbortSignal): Promise<void> {
    this.sender.retire();
    this.clock.wakeAll();
    await this.start().catch(() => undefined);
    while (!this.drained() && Date.now() < deadline && !stopWaiting.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.shutdown({ deadline: Math.min(deadline, Date.now()) });
  }

  shutdown(context?: ShutdownContext): Promise<void> {
    return (this.stopped ??= (async () => {
      await this.start().catch(() => undefined);
      await this.exporter.shutdown(context);
    })());
  }

  /** Nothing waiting and nothing in flight, as the exporter's own gauges read. */
  private drained(): boolean {
    const labels = { exporter: this.id };
    const waiting = this.host.metrics.valueOf('otelcol_exporter_queue_size', labels) ?? 0;
    const inFlight = this.host.metrics.valueOf('otelcol_exporter_in_flight_requests', labels) ?? 0;
    return waiting === 0 && inFlight === 0;
  }
}

/** `<exporter id>@<backend address>`: a component id holds no `@`, so the folder names never collide. */
export function backendId(exporterId: string, address: string): string {
  return `${exporterId}@${address}`;
}

/** Sends to the backend until it is retired; then re-routes instead, including an attempt in flight. */
class ReroutingSender implements RequestSender {
  retired = false;
  private readonly retirement = new AbortController();

  constructor(
    private readonly inner: OtlpGrpcSender,
    private readonly reroute: Reroute,
  ) {}

  start(): Promise<void> {
    return this.inner.start();
  }

  async send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome | void> {
    if (this.retired) return this.reroute(body);
    try {
      return await this.inner.send(body, AbortSignal.any([signal, this.retirement.signal]));
    } catch (error) {
      // Cut short by the retirement (not by shutdown): the backend may or may not have it; send
      // it to the new owner (at least once, as any retried export).
      if (this.retired && !signal.aborted) return this.reroute(body);
      throw error;
    }
  }

  retire(): void {
    this.retired = true;
    this.retirement.abort();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Real time, whose retry sleeps a retirement can end early so the requests re-route at once. */
class WakeableClock implements DeliveryClock {
  private readonly sleepers = new Set<() => void>();

  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (woke: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.sleepers.delete(wake);
        resolve(woke);
      };
      const onAbort = () => finish(false);
      const wake = () => finish(true);
      const timer = setTimeout(wake, ms);
      signal.addEventListener('abort', onAbort, { once: true });
      this.sleepers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
