import { forgetReceivedEncoding } from '@decision-trace/otlp';
import type {
  LogsBatch,
  LogsConsumer,
  MetricsBatch,
  MetricsConsumer,
  MutableTraceBatch,
  MutatingTracesConsumer,
  TraceBatch,
  TracesConsumer,
} from '../component/component.js';

/** Hands one batch to several consumers; fails if any fails, so the client is never told "ok" too early. */
export function fanout(consumers: TracesConsumer[]): TracesConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeTraces(batch: TraceBatch) {
      await Promise.all(consumers.map((c) => c.consumeTraces(batch)));
    },
  };
}

/**
 * A traces pipeline as its receiver sees it: its first consumer and whether some processor of it
 * declares `capabilities.mutatesData`. The flag and the consumer's type go together: a pipeline
 * that mutates takes a MutableTraceBatch, so handing it the shared spans does not compile.
 */
export type PipelineEntry = { mutatesData: false; consumer: TracesConsumer } | { mutatesData: true; consumer: MutatingTracesConsumer };

/**
 * A receiver feeding several pipelines gives each its own batch, so that a processor replacing
 * the batch's spans or adding decisions changes its own pipeline only. The span and decision-event
 * objects are shared, read-only, with every pipeline whose processors copy what they change
 * (`mutatesData: false`, all of ours); a pipeline with a processor that changes them in place gets
 * its own deep copy, as the Collector's fan-out clones for consumers that mutate.
 *
 * The receiver hands over batches it keeps nothing of, so one pipeline alone takes the batch as it
 * came, mutating or not. A pipeline that mutates in place first makes the spans forget the bytes
 * they were received in (the copy never had them): an exporter must not forward bytes that no
 * longer say what the spans say.
 */
export function fanoutToPipelines(pipelines: PipelineEntry[]): MutatingTracesConsumer {
  if (pipelines.length === 1) {
    const pipeline = pipelines[0];
    if (!pipeline.mutatesData) return pipeline.consumer;
    return {
      consumeTraces(batch: MutableTraceBatch) {
        forgetReceivedEncoding(batch.resourceSpans);
        return pipeline.consumer.consumeTraces(batch);
      },
    };
  }
  return {
    async consumeTraces(batch: MutableTraceBatch) {
      await Promise.all(pipelines.map((pipeline) => handTo(pipeline, batch)));
    },
  };
}

function handTo(pipeline: PipelineEntry, batch: TraceBatch): Promise<void> {
  return pipeline.mutatesData ? pipeline.consumer.consumeTraces(copyOfBatch(batch)) : pipeline.consumer.consumeTraces(batchSharingData(batch));
}

function batchSharingData(batch: TraceBatch): TraceBatch {
  return { resourceSpans: batch.resourceSpans, spanCount: batch.spanCount, decisions: [...batch.decisions], tenant: batch.tenant };
}

/**
 * A deep copy, which nobody else holds: mutable. Spans and decision events are plain data
 * (bigint, Uint8Array included): structuredClone copies them whole.
 */
export function copyOfBatch(batch: TraceBatch): MutableTraceBatch {
  const { resourceSpans, decisions } = structuredClone({ resourceSpans: batch.resourceSpans, decisions: batch.decisions }) as Pick<
    MutableTraceBatch,
    'resourceSpans' | 'decisions'
  >;
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
