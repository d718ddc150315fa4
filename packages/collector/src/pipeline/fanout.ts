import type { LogsBatch, LogsConsumer, MetricsBatch, MetricsConsumer, TraceBatch, TracesConsumer } from '../component/component.js';

/** Hands one batch to several consumers; fails if any fails, so the client is never told "ok" too early. */
export function fanout(consumers: TracesConsumer[]): TracesConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeTraces(batch: TraceBatch) {
      await Promise.all(consumers.map((c) => c.consumeTraces(batch)));
    },
  };
}

/** A traces pipeline as its receiver sees it: its first consumer and what its processors do. */
export interface PipelineEntry {
  consumer: TracesConsumer;
  /** Some processor of the pipeline declares `capabilities.mutatesData`. */
  mutatesData: boolean;
}

/**
 * A receiver feeding several pipelines gives each its own batch, so that a processor replacing
 * the batch's spans or adding decisions changes its own pipeline only. The span and decision-event
 * objects are shared, read-only, with every pipeline whose processors copy what they change
 * (`mutatesData: false`, all of ours); a pipeline with a processor that changes them in place gets
 * its own deep copy, as the Collector's fan-out clones for consumers that mutate.
 */
export function fanoutToPipelines(pipelines: PipelineEntry[]): TracesConsumer {
  if (pipelines.length === 1) return pipelines[0].consumer;
  return {
    async consumeTraces(batch: TraceBatch) {
      await Promise.all(pipelines.map(({ consumer, mutatesData }) => consumer.consumeTraces(mutatesData ? copyOfBatch(batch) : batchSharingData(batch))));
    },
  };
}

function batchSharingData(batch: TraceBatch): TraceBatch {
  return { resourceSpans: batch.resourceSpans, spanCount: batch.spanCount, decisions: [...batch.decisions], tenant: batch.tenant };
}

/** Spans and decision events are plain data (bigint, Uint8Array included): structuredClone copies them whole. */
function copyOfBatch(batch: TraceBatch): TraceBatch {
  const { resourceSpans, decisions } = structuredClone({ resourceSpans: batch.resourceSpans, decisions: batch.decisions });
  return { resourceSpans, spanCount: batch.spanCount, decisions, tenant: batch.tenant };
}

/** Hands one metrics batch to several consumers (they only read it); fails if any fails. */
export function fanoutMetrics(consumers: MetricsConsumer[]): MetricsConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeMetrics(batch: MetricsBatch) {
      await Promise.all(consumers.map((c) => c.consumeMetrics(batch)));
    },
  };
}

/** Hands one logs batch to several consumers (they only read it); fails if any fails. */
export function fanoutLogs(consumers: LogsConsumer[]): LogsConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeLogs(batch: LogsBatch) {
      await Promise.all(consumers.map((c) => c.consumeLogs(batch)));
    },
  };
}
