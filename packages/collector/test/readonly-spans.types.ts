// Type-level test: checked by `npm run typecheck:tests` (tsconfig.test.json), not run. Each
// `@ts-expect-error` line states that the compiler refuses that write; were the types to allow
// it again, the directive would be unused and the type-check would fail. The run-time side (who
// is handed a copy) is in pipeline-fanout.test.ts.
import { z } from 'zod';
import { isAttributeList } from '@decision-trace/model';
import type { DecisionEvent, ReadonlySpan, Span } from '@decision-trace/model';
import type {
  MutableTraceBatch,
  MutatingProcessorComponent,
  MutatingTracesConsumer,
  ProcessorComponent,
  ProcessorFactory,
  TraceBatch,
  TracesConsumer,
} from '../src/component/component.js';
import { fanoutToPipelines, type PipelineEntry } from '../src/pipeline/fanout.js';

function rename(span: Span): void {
  span.name = 'renamed';
}

function annotate(event: DecisionEvent): void {
  event.sampling = { trace_sampled: true };
}

function firstSpan(batch: TraceBatch): ReadonlySpan {
  return batch.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
}

/** A consumer that declares it only reads: every write to what it shares with other pipelines fails to compile. */
export const readingConsumer: TracesConsumer = {
  async consumeTraces(batch) {
    const span = firstSpan(batch);
    // @ts-expect-error a span handed to a consumer that does not mutate is read-only
    span.name = 'renamed';
    // @ts-expect-error so are its attributes
    span.attributes['decision.type'] = 'changed';
    // @ts-expect-error and its status
    span.status.message = '';
    // @ts-expect-error and its events
    span.events.push({ timeUnixNano: 0n, name: 'added', attributes: {}, droppedAttributesCount: 0 });
    // @ts-expect-error and an event's attributes
    span.events[0]!.attributes.note = 'changed';
    const list = span.attributes.list ?? null;
    // @ts-expect-error and array values inside attributes (isAttributeList narrows; Array.isArray would give any[])
    if (isAttributeList(list)) list.push('added');
    // @ts-expect-error and the resource
    batch.resourceSpans[0]!.resource.attributes['service.name'] = 'other';
    // @ts-expect-error and the scope's spans
    batch.resourceSpans[0]!.scopeSpans[0]!.spans.pop();
    // @ts-expect-error the resourceSpans array itself is shared with the other pipelines
    batch.resourceSpans.push(batch.resourceSpans[0]!);
    // @ts-expect-error nor can it hand the span to code that changes spans
    rename(span);

    const event = batch.decisions[0]!;
    // @ts-expect-error the decision events on the batch are shared as the spans are
    event.decision_id = 'changed';
    // @ts-expect-error and so are their parts
    event.causal_links.push({ type: 'depends_on', target_decision_id: 'd-0' });
    // @ts-expect-error nor can it hand an event to code that changes events
    annotate(event);

    // What each pipeline has to itself stays writable: the batch object and its decisions array.
    batch.resourceSpans = batch.resourceSpans.slice(1);
    batch.spanCount = 0;
    batch.decisions.push({ ...event, decision_id: 'added' });
    batch.decisions = [];
  },
};

/** A consumer that declares it mutates is handed a batch nobody else holds, and may change it. */
export const mutatingConsumer: MutatingTracesConsumer = {
  async consumeTraces(batch) {
    const span = batch.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    span.name = 'renamed';
    span.attributes['decision.type'] = 'changed';
    batch.resourceSpans.push(batch.resourceSpans[0]!);
    rename(span);
    annotate(batch.decisions[0]!);
  },
};

/** `consumeTraces` is a property, checked strictly: a consumer needing a mutable batch is not a TracesConsumer. */
// @ts-expect-error a consumer that takes a MutableTraceBatch cannot pose as one that only reads
export const posing: TracesConsumer = mutatingConsumer;
// The other way round is fine: a reading consumer accepts a batch it could change.
export const widened: MutatingTracesConsumer = readingConsumer;

const noConfig = z.object({});
const lifecycle = { start: async () => {}, shutdown: async () => {} };

/** A processor that says it does not mutate has to create a component that only reads. */
export const readingFactory: ProcessorFactory = {
  kind: 'processor',
  type: 'reads',
  configSchema: noConfig,
  capabilities: { mutatesData: false },
  create: (_settings, next): ProcessorComponent => ({ ...lifecycle, consumeTraces: (batch) => next.consumeTraces(batch) }),
};

// @ts-expect-error a processor declaring mutatesData: false cannot create a component that mutates
export const lyingFactory: ProcessorFactory = {
  kind: 'processor',
  type: 'lies',
  configSchema: noConfig,
  capabilities: { mutatesData: false },
  create: (_settings, next): MutatingProcessorComponent => ({
    ...lifecycle,
    consumeTraces: (batch: MutableTraceBatch) => {
      batch.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'renamed';
      return next.consumeTraces(batch);
    },
  }),
};

/** Declaring mutatesData: true is what lets a processor change spans in place. */
export const honestFactory: ProcessorFactory = {
  kind: 'processor',
  type: 'mutates',
  configSchema: noConfig,
  capabilities: { mutatesData: true },
  create: (_settings, next): MutatingProcessorComponent => ({
    ...lifecycle,
    consumeTraces: (batch: MutableTraceBatch) => {
      batch.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'renamed';
      return next.consumeTraces(batch);
    },
  }),
};

/** The fan-out's clone decision follows from the types: a mutating pipeline is never listed as one that shares. */
export const entries: PipelineEntry[] = [
  { mutatesData: false, consumer: readingConsumer },
  { mutatesData: true, consumer: mutatingConsumer },
  { mutatesData: true, consumer: readingConsumer },
  // @ts-expect-error a pipeline whose consumer mutates must be marked so, and so get a copy
  { mutatesData: false, consumer: mutatingConsumer },
];

/** What the fan-out gives a receiver takes batches it owns, so it is not a consumer of shared spans. */
// @ts-expect-error the receiver's side of the fan-out hands over mutable batches
export const receiverSide: TracesConsumer = fanoutToPipelines(entries);
