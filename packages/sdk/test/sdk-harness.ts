import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace-base';
import { applyEvent, type DecisionEvent, type DecisionRecord } from '@decision-trace/model';
import { DecisionSpanProcessor, DecisionTrace, InMemoryDecisionSink, type DecisionSink, type DecisionSpanProcessorOptions } from '@decision-trace/sdk';

/**
 * An application's tracing set-up as the SDK's users have it: the real BasicTracerProvider with
 * the DecisionSpanProcessor beside another processor (here an in-memory exporter standing for
 * the user's own), and a DecisionTrace bound to that provider.
 */
export interface SdkHarness {
  provider: BasicTracerProvider;
  processor: DecisionSpanProcessor;
  sink: DecisionSink;
  /** What the processor beside ours received. */
  exportedSpans(): ReadableSpan[];
  dt: DecisionTrace;
  /** Flushes the processor and folds every delivered event into records, keyed by decision id. */
  records(): Promise<Map<string, DecisionRecord>>;
  shutdown(): Promise<void>;
}

let contextManagerInstalled = false;

/** NodeSDK installs this; with a bare BasicTracerProvider the application does. */
export function installContextManager(): void {
  if (contextManagerInstalled) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerInstalled = true;
}

export function makeSdk(options: { sampler?: Sampler; sink?: DecisionSink; processor?: Partial<DecisionSpanProcessorOptions> } = {}): SdkHarness {
  installContextManager();
  const sink = options.sink ?? new InMemoryDecisionSink();
  const processor = new DecisionSpanProcessor({
    sink,
    scheduledDelayMillis: 5,
    receiveUnsampledDecisions: false,
    resource: { 'service.name': 'refund-service' },
    ...options.processor,
  });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler: options.sampler,
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [processor, new SimpleSpanProcessor(exporter)],
  });
  const dt = new DecisionTrace({ tracerProvider: provider, unsampledRecorders: [processor] });
  return {
    provider,
    processor,
    sink,
    exportedSpans: () => exporter.getFinishedSpans(),
    dt,
    async records() {
      await processor.forceFlush();
      if (!(sink instanceof InMemoryDecisionSink)) throw new Error('records() needs the in-memory sink');
      return foldRecords(sink.events);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** Records as the store would build them from these events (one per tenant and id). */
export function foldRecords(events: readonly DecisionEvent[]): Map<string, DecisionRecord> {
  const records = new Map<string, DecisionRecord>();
  const seenEventIds = new Set<string>();
  for (const event of events) {
    // The store ignores a redelivered event id; so does this fold.
    const eventKey = `${event.tenant_id}\u0000${event.event_id}`;
    if (seenEventIds.has(eventKey)) continue;
    seenEventIds.add(eventKey);
    const key = event.decision_id;
    const existing = records.get(key);
    if (existing !== undefined && existing.tenant !== event.tenant_id) {
      throw new Error(`decision ${key} appears in tenants ${existing.tenant} and ${event.tenant_id}`);
    }
    records.set(key, applyEvent(existing, event));
  }
  return records;
}

export function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}
