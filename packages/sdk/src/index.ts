export { DecisionSpanProcessor, type DecisionSpanProcessorOptions } from './export/decision-span-processor.js';
export type { DeliveryStats } from './export/delivery-queue.js';
export {
  DualSpanExporter,
  type DualSpanExporterOptions,
  type DualSpanExporterStats,
  type SpanDeliveryStats,
  type SpanQueueOptions,
} from './export/dual-span-exporter.js';
export { SpanExportError, isRetryableSpanExportFailure } from './export/span-export-failure.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './export/retry-policy.js';
export { toModelSpan, hrTimeToNanos, ResourceSpansBuilder } from './export/span-adapter.js';

export { DecisionSinkError, type DecisionSink, type SinkExportOptions } from './sinks/decision-sink.js';
export { HttpDecisionSink, parseRetryAfter, type HttpDecisionSinkOptions } from './sinks/http-decision-sink.js';
export { StoreDecisionSink, type StoreDecisionSinkOptions, type DecisionStoreLike } from './sinks/store-decision-sink.js';
export { InMemoryDecisionSink } from './sinks/in-memory-decision-sink.js';

export { DecisionTrace, defaultDecisionTrace, decision, decisionSync, observe, traced, type DecisionTraceOptions } from './decision-trace.js';
export type { Decision, DecisionActor, DecisionOptions } from './decision/decision-scope.js';
export type { OutcomeDetails } from './decision/decision-state.js';
export { registerUnsampledDecisionRecorder, unregisterUnsampledDecisionRecorder, type UnsampledDecisionRecorder } from './decision/unsampled-recorders.js';
export * as decisionAttributes from './decision/decision-attributes.js';

export type { ObserveOptions, IdSource } from './observe/observe-options.js';
export type { ObservedKind } from './observe/observe-attributes.js';

export { linkDecisionToSpan, addDecisionSummaryEvent, currentDecision, decisionLogFields, type DecisionLogFields } from './linking.js';

export { snapshotJson, snapshotValue, DEFAULT_SNAPSHOT_LIMITS, type SnapshotLimits } from './snapshot/safe-json.js';
export type { ExportResultLike, ReadableSpanLike, SpanExporterLike, SpanProcessorLike } from './otel-span-like.js';
export { SDK_NAME, SDK_VERSION } from './version.js';
