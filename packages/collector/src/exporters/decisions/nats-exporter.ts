import type { JetStreamClient, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { ExporterComponent, Host, TraceBatch } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { exporterMetrics, type ExporterMetrics } from '../../exporter-helper/exporter-metrics.js';
import type { NatsTarget } from './config.js';
import { decisionMessages, EventTooLargeError } from './nats-messages.js';
import { connectPersistently, ensureStream } from '../../shared/nats-stream.js';

/** NATS' default, used until the server told its own. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * The `decisions` exporter's `nats` mode: publishes the batch's decision events to a JetStream
 * stream and resolves only once the stream acknowledged every message — the stream, not this
 * process, holds them from then on, so the receiver may answer 200. No sending queue: JetStream
 * is the durable queue, and a client whose request could not be stored is asked to retry
 * (503 / UNAVAILABLE) instead. `decision-trace ingest` writers take the events from the stream.
 */
export class NatsDecisionsExporter implements ExporterComponent {
  private readonly metrics: ExporterMetrics;
  private readonly statusId: string;
  private readonly stop = new AbortController();
  private connection?: Promise<NatsConnection>;
  private stream?: Promise<JetStreamClient>;
  private unreachableLogged = false;

  constructor(
    private readonly id: string,
    private readonly target: NatsTarget,
    private readonly logger: Logger,
    private readonly host: Host,
  ) {
    this.metrics = exporterMetrics(host.metrics, id, 'decision_events');
    this.statusId = `exporters.${id}`;
  }

  /** Starts connecting; an unreachable server does not stop the collector (its clients are asked to retry). */
  async start(): Promise<void> {
    this.connection = connectPersistently(this.target.url, `decision-trace collector (${this.id})`, {
      signal: this.stop.signal,
      timeoutMs: this.target.timeout,
      onRetry: (error) => {
        if (this.unreachableLogged) return;
        this.unreachableLogged = true;
        this.logger.warn({ err: error, url: this.target.url }, 'NATS is not reachable yet; decisions are refused (clients retry) until it is');
      },
    });
    this.connection.then(
      (nc) => this.logger.info({ server: nc.getServer(), stream: this.target.stream, subject: this.target.subject }, 'connected to NATS'),
      () => undefined,
    );
  }

  async consumeTraces(batch: TraceBatch): Promise<void> {
    const events = batch.decisions;
    if (events.length === 0) return;
    if (this.stop.signal.aborted) throw new PipelineError(`exporter ${this.id} is shutting down`, { retryable: true, retryAfterSeconds: 1 });
    this.metrics.accepted.add(events.length);
    try {
      const [js, nc] = await this.ready();
      const messages = decisionMessages(events, nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
      await Promise.all(
        messages.map((message) =>
          js.publish(this.target.subject, message.data, {
            msgID: message.msgId,
            timeout: this.target.timeout,
            expect: { streamName: this.target.stream },
          }),
        ),
      );
    } catch (error) {
      throw this.refusal(events.length, error);
    }
    this.metrics.sent.add(events.length);
    this.host.status.reportSuccess(this.statusId);
  }

  async shutdown(): Promise<void> {
    this.stop.abort();
    const nc = await this.connection?.catch(() => undefined);
    await nc?.drain().catch((error: unknown) => this.logger.warn({ err: error }, 'NATS connection did not drain cleanly'));
    this.host.status.forget(this.statusId);
  }

  /** The JetStream client once connected and the stream is known to capture the subject. */
  private async ready(): Promise<[JetStreamClient, NatsConnection]> {
    const connection = this.connection;
    if (!connection) throw new Error('not started');
    const nc = await withTimeout(connection, this.target.timeout, `NATS at ${this.target.url} is not reachable`);
    this.stream ??= (async () => {
      await ensureStream(await nc.jetstreamManager({ timeout: this.target.timeout }), this.target);
      return nc.jetstream({ timeout: this.target.timeout });
    })();
    try {
      return [await this.stream, nc];
    } catch (error) {
      this.stream = undefined;
      throw error;
    }
  }

  private refusal(events: number, error: unknown): PipelineError {
    this.metrics.enqueueFailed.add(events);
    // The next batch checks the stream again: it may have been deleted or its server replaced.
    this.stream = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    this.host.status.reportFailure(this.statusId, reason);
    if (error instanceof EventTooLargeError) {
      this.logger.error({ err: error }, 'a decision event is larger than NATS accepts; refusing the request');
      return new PipelineError(reason, { retryable: false, cause: error });
    }
    this.logger.warn({ err: error, events }, 'publishing decisions to JetStream failed; the client is asked to retry');
    return new PipelineError(`decisions not stored in JetStream: ${reason}`, { retryable: true, retryAfterSeconds: 1, cause: error });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
