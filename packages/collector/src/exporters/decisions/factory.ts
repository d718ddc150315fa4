import { encodeDecisionEventsJson, selectedContextSpans, type SelectedContextSpans } from '@decision-trace/model';
import type { LedgerVerifier, LedgerWriter, StoreMaintenance } from '@decision-trace/store';
import type { CreateSettings, ExporterComponent, ExporterFactory, TraceBatch } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { atSetting, openStoreAt } from '../../component/start-error.js';
import { exporterMetrics } from '../../exporter-helper/exporter-metrics.js';
import { QueuedExporter } from '../../exporter-helper/queued-exporter.js';
import { contextSpanBufferSchema, decisionsExporterSchema, remoteSettings, type DecisionsExporterConfig } from './config.js';
import { ContextSpanWindow } from './context-span-window.js';
import { RemoteDecisionSender } from './remote-sender.js';
import { NatsDecisionsExporter } from './nats-exporter.js';
import { RetentionSchedule } from './retention-schedule.js';
import { alertsExporter } from './alerts-exporter.js';

/** Context spans kept when the exporter keeps none (never written to). */
const NO_SPANS: Readonly<SelectedContextSpans> = selectedContextSpans();

/**
 * Sends the batch's decision events to the decision backend: the embedded store (`storage`),
 * written before the receiver acknowledges, a remote backend (`endpoint`) through a sending
 * queue with retries, or a NATS JetStream stream (`nats`) that acknowledged them. Either way redelivery is harmless: event ids make appends idempotent.
 * In a logs pipeline it stores the decision_anomaly connector's alerts (alerts-exporter.ts).
 */
export const decisionsExporterFactory: ExporterFactory<DecisionsExporterConfig> = {
  kind: 'exporter',
  type: 'decisions',
  configSchema: decisionsExporterSchema,
  // Only the embedded store is written here; the schema sets it when there is no endpoint or nats.
  writtenStore: (config) => config.storage,
  // Only the batch's decision events, unless the embedded store keeps the traces' context spans.
  readsDecisionSpansOnly: (config) => config.nats !== undefined || config.endpoint !== undefined || config.store_context_spans === false,
  create(settings) {
    const { config } = settings;
    if (config.nats !== undefined) return new NatsDecisionsExporter(settings.id, config.nats, settings.logger, settings.host);
    return config.endpoint !== undefined ? remoteExporter(settings, config.endpoint) : embeddedExporter(settings, config.storage!);
  },
  // In a logs pipeline: the decision_anomaly connector's alerts, into the embedded store.
  createLogs: (settings) => alertsExporter(settings),
};

function remoteExporter(settings: CreateSettings<DecisionsExporterConfig>, endpoint: string): ExporterComponent {
  const { id, logger, host } = settings;
  const remote = remoteSettings({ ...settings.config, endpoint });
  if (remote.sending_queue.enabled && !remote.sending_queue.storage) {
    logger.info('decisions are acknowledged once queued in memory; set sending_queue.storage to keep them across a crash');
  }
  return new QueuedExporter({
    id,
    logger,
    host,
    unit: 'decision_events',
    queue: remote.sending_queue,
    retry: remote.retry_on_failure,
    timeoutMs: remote.timeout,
    sender: new RemoteDecisionSender(remote, remote.sending_queue.enabled ? remote.sending_queue.num_consumers : 16),
    encode(batch: TraceBatch) {
      if (batch.decisions.length === 0) return undefined;
      return { body: Buffer.from(encodeDecisionEventsJson(batch.decisions)), items: batch.decisions.length, carriesDecisions: true };
    },
  });
}

/**
 * The store is the durable path: the client is acknowledged only after the append committed.
 * With `store_context_spans` (the default) the spans of traces that hold decisions are stored
 * beside them, in the same acknowledged write. With `retention` the exporter that writes the
 * store also deletes its expired decisions.
 */
function embeddedExporter(settings: CreateSettings<DecisionsExporterConfig>, storage: string): ExporterComponent {
  const { id, host, logger, config } = settings;
  const metrics = exporterMetrics(host.metrics, id, 'decision_events');
  const statusId = `exporters.${id}`;
  const buffer = config.context_span_buffer ?? contextSpanBufferSchema.parse({});
  const contextSpans =
    config.store_context_spans === false
      ? null
      : new ContextSpanWindow({ maxPendingSpans: buffer.max_spans, maxPendingAgeMs: buffer.max_age, maxDecisionTraces: buffer.max_traces });
  // The host owns (and closes) the store; this exporter writes, attaches the witness and runs retention.
  let store: (LedgerWriter & Pick<LedgerVerifier, 'attachWitness'> & StoreMaintenance) | undefined;
  let retention: RetentionSchedule | undefined;
  return {
    async start() {
      store = await openStoreAt(`exporters.${id}.storage`, storage, (url) => host.openStore(url));
      const witness = config.witness;
      if (witness !== undefined) {
        const opened = store;
        await atSetting(`exporters.${id}.witness.path`, () => opened.attachWitness({ path: witness.path, interval_ms: witness.interval }));
      }
      if (config.retention !== undefined) {
        retention = new RetentionSchedule(config.retention, store, logger, host.metrics, id);
        retention.start();
      }
    },
    async shutdown() {
      await retention?.stop();
      host.status.forget(statusId);
    },
    // Not async, and the wait below holds only the count: a suspended async function keeps its
    // batch (every span of the request) alive until the store committed; see
    // receivers/otlp/ingest.ts.
    consumeTraces(batch: TraceBatch) {
      try {
        const spans = contextSpans?.select(batch) ?? NO_SPANS;
        const decisions = batch.decisions;
        if (decisions.length === 0 && spans.spans.length === 0) return Promise.resolve();
        if (!store) throw new PipelineError('decisions exporter is not started', { retryable: true });
        metrics.accepted.add(decisions.length);
        return committed(Promise.all([store.append(decisions), store.appendContextSpans(spans)]), decisions.length);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };

  /** Waits for the store's writes, holding nothing of the batch but the count its metrics need. */
  async function committed(writes: Promise<unknown>, decisionCount: number): Promise<void> {
    try {
      await writes;
    } catch (error) {
      metrics.enqueueFailed.add(decisionCount);
      host.status.reportFailure(statusId, (error as Error).message);
      logger.error({ err: error }, 'writing decisions to the store failed');
      throw new PipelineError(`decision store unavailable: ${(error as Error).message}`, {
        retryable: true,
        retryAfterSeconds: 1,
        cause: error,
      });
    }
    metrics.sent.add(decisionCount);
    host.status.reportSuccess(statusId);
  }
}
