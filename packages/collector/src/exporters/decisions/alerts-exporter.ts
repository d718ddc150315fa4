import type { AlertLog, DecisionAlert } from '@decision-trace/store';
import type { CreateSettings, LogsBatch, LogsExporterComponent } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { openStoreAt, StartError } from '../../component/start-error.js';
import { exporterMetrics } from '../../exporter-helper/exporter-metrics.js';
import { alertOfRecord } from './alert-records.js';
import type { DecisionsExporterConfig } from './config.js';

/**
 * The decisions exporter of a logs pipeline: stores the decision_anomaly connector's alert
 * records in the embedded store (the store its traces instance writes, opened once per URL),
 * before the pipeline is answered. Other log records are counted as dropped: the decision
 * backend keeps alerts, not logs. Redelivery is harmless: an alert's id comes from its record.
 */
export function alertsExporter(settings: CreateSettings<DecisionsExporterConfig>): LogsExporterComponent {
  const { id, host, logger, config } = settings;
  const metrics = exporterMetrics(host.metrics, id, 'log_records');
  const statusId = `exporters.${id} (logs)`;
  let store: Pick<AlertLog, 'appendAlerts'> | undefined;
  return {
    async start() {
      if (config.storage === undefined) {
        throw new StartError(
          `exporters.${id}`,
          'in a logs pipeline the decisions exporter stores alerts in the embedded store (storage); with endpoint or nats list it in traces pipelines only',
        );
      }
      store = await openStoreAt(`exporters.${id}.storage`, config.storage, (url) => host.openStore(url));
    },
    async shutdown() {
      host.status.forget(statusId);
    },
    async consumeLogs(batch: LogsBatch) {
      if (!store) throw new PipelineError('decisions exporter is not started', { retryable: true });
      const alerts: DecisionAlert[] = [];
      for (const record of batch.records) {
        const alert = alertOfRecord(record);
        if (alert !== null) alerts.push(alert);
      }
      metrics.accepted.add(batch.records.length);
      const others = batch.records.length - alerts.length;
      if (others > 0) {
        metrics.dropped.add(others);
        logger.debug({ dropped: others }, 'log records that are no decision_anomaly alerts were dropped');
      }
      if (alerts.length === 0) return;
      try {
        await store.appendAlerts(alerts);
      } catch (error) {
        metrics.enqueueFailed.add(alerts.length);
        host.status.reportFailure(statusId, (error as Error).message);
        logger.error({ err: error }, 'writing alerts to the store failed');
        throw new PipelineError(`decision store unavailable: ${(error as Error).message}`, { retryable: true, retryAfterSeconds: 1, cause: error });
      }
      metrics.sent.add(alerts.length);
      host.status.reportSuccess(statusId);
    },
  };
}
