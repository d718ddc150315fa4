import { randomUUID } from 'node:crypto';
import {
  diag,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Attributes as ModelAttributes, Span as ModelSpan } from '@decision-trace/model';
import { nowNanos } from '../clock.js';
import { activeContext, CURRENT_DECISION_KEY } from '../context/active-context.js';
import { randomSpanId, randomTraceId } from '../ids.js';
import { addDecisionSummaryEvent, linkDecisionToSpan } from '../linking.js';
import {
  DECISION_EVENT_TYPE,
  DT_ACTOR_ID,
  DT_ACTOR_ORG,
  DT_ACTOR_TYPE,
  DT_ACTOR_VERSION,
  DT_DECISION_ID,
  DT_DECISION_TYPE,
  DT_ENVIRONMENT,
  DT_EVENT_TYPE,
  DT_PARENT_DECISION_ID,
  DT_TENANT_ID,
} from './decision-attributes.js';
import { DecisionScope, type DecisionOptions } from './decision-scope.js';
import type { UnsampledDecisionRecorder } from './unsampled-recorders.js';

const PROTO_SPAN_KIND_INTERNAL = 1;

/**
 * One decision's span, from start to end. A decision is one span carrying the `dt.*`
 * attributes; when the span is recorded, the span processors see it like any other span. When
 * it is not (the head sampler dropped the trace, or no tracing SDK is installed), the same span
 * data is built here and handed to the unsampled-decision recorders, so the decision is kept
 * while the trace is not. The data, ids included, is what the span would have carried, so the
 * two paths yield the same decision events; only one of them runs for a given decision.
 */
export class DecisionRun {
  readonly scope: DecisionScope;
  readonly context: Context;
  private readonly recording: boolean;
  private readonly startAttributes: Attributes;
  private readonly spanName: string;
  private readonly parentSpanId: string;
  private readonly startNanos: bigint;
  private readonly callerSpan: Span | undefined;

  constructor(tracer: Tracer, options: DecisionOptions) {
    const parentContext = activeContext();
    const enclosing = parentContext.getValue(CURRENT_DECISION_KEY) as DecisionScope | undefined;
    const id = options.id ?? randomUUID();
    const parentId = options.parentId !== undefined ? options.parentId : (enclosing?.id ?? null);
    this.spanName = options.spanName ?? options.type;
    this.startAttributes = startAttributes(options, id, parentId);
    let span = tracer.startSpan(this.spanName, { kind: SpanKind.INTERNAL, attributes: this.startAttributes }, parentContext);
    this.recording = span.isRecording();
    const parentSpanContext = trace.getSpanContext(parentContext);
    const validParent = parentSpanContext !== undefined && trace.isSpanContextValid(parentSpanContext);
    const given = span.spanContext();
    if (!trace.isSpanContextValid(given) || (validParent && given.spanId === parentSpanContext.spanId)) {
      // No tracing SDK (its no-op tracer hands back an invalid span, or the parent's span
      // context), or tracing suppressed: the decision still needs ids of its own, and decisions
      // nested in it (which find it in the context) need them to share its trace.
      span = trace.wrapSpanContext({
        traceId: validParent ? parentSpanContext.traceId : randomTraceId(),
        spanId: randomSpanId(),
        traceFlags: TraceFlags.NONE,
      });
    }
    const { traceId, spanId } = span.spanContext();
    this.parentSpanId = validParent && parentSpanContext.traceId === traceId ? parentSpanContext.spanId : '';
    this.startNanos = this.recording ? 0n : nowNanos();
    this.callerSpan = options.linkCallerSpan ? trace.getSpan(parentContext) : undefined;

    this.scope = new DecisionScope(id, options.type, traceId, spanId, parentId, options.tenant, options.environment, span);
    for (const link of options.links ?? []) this.scope.link(link.type, link.target);
    this.context = trace.setSpan(parentContext, span).setValue(CURRENT_DECISION_KEY, this.scope);
  }

  /**
   * Ends the decision. `thrown` is set when the callback threw (or its promise rejected). Never
   * throws: whatever goes wrong here is reported through the OTel diagnostics logger.
   */
  finish(recorders: Iterable<UnsampledDecisionRecorder>, thrown?: { error: unknown }): void {
    const { scope } = this;
    const span = scope.span;
    try {
      if (thrown !== undefined) {
        scope.error(thrown.error);
        if (this.recording) span.recordException(asException(thrown.error));
      }
      scope.markEnded();
      const endAttributes = scope.state.endAttributes();
      const errorMessage = scope.state.errorMessage;
      const status = errorMessage === null ? undefined : { code: SpanStatusCode.ERROR, message: errorMessage };
      if (this.recording) {
        span.setAttributes(endAttributes);
        if (status !== undefined) span.setStatus(status);
      }
      if (this.callerSpan !== undefined) {
        linkDecisionToSpan(scope, this.callerSpan);
        addDecisionSummaryEvent(scope, this.callerSpan);
      }
      span.end();
      if (!this.recording) this.recordUnsampled(recorders, endAttributes, status);
    } catch (error) {
      diag.error('decision-trace: ending a decision failed', error);
    }
  }

  private recordUnsampled(
    recorders: Iterable<UnsampledDecisionRecorder>,
    endAttributes: Attributes,
    status: { code: SpanStatusCode; message?: string } | undefined,
  ): void {
    const modelSpan: ModelSpan = {
      traceId: this.scope.traceId,
      spanId: this.scope.spanId,
      parentSpanId: this.parentSpanId,
      traceState: '',
      flags: this.scope.span.spanContext().traceFlags,
      name: this.spanName,
      kind: PROTO_SPAN_KIND_INTERNAL,
      startTimeUnixNano: this.startNanos,
      endTimeUnixNano: nowNanos(),
      attributes: { ...this.startAttributes, ...endAttributes } as ModelAttributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: status?.code ?? SpanStatusCode.UNSET, message: status?.message ?? '' },
    };
    let delivered = false;
    for (const recorder of recorders) {
      delivered = true;
      try {
        recorder.recordUnsampledDecision(modelSpan);
      } catch (error) {
        diag.error('decision-trace: an unsampled-decision recorder failed', error);
      }
    }
    if (!delivered) {
      diag.debug(`decision-trace: decision ${this.scope.id} was not sampled and no DecisionSpanProcessor is registered`);
    }
  }
}

function startAttributes(options: DecisionOptions, id: string, parentId: string | null): Attributes {
  const attributes: Attributes = { ...options.attributes };
  attributes[DT_DECISION_ID] = id;
  attributes[DT_DECISION_TYPE] = options.type;
  attributes[DT_EVENT_TYPE] = DECISION_EVENT_TYPE;
  if (parentId !== null) attributes[DT_PARENT_DECISION_ID] = parentId;
  if (options.tenant !== undefined) attributes[DT_TENANT_ID] = options.tenant;
  if (options.environment !== undefined) attributes[DT_ENVIRONMENT] = options.environment;
  const actor = options.actor;
  if (actor !== undefined) {
    if (actor.id !== undefined) attributes[DT_ACTOR_ID] = actor.id;
    if (actor.type !== undefined) attributes[DT_ACTOR_TYPE] = actor.type;
    if (actor.version !== undefined) attributes[DT_ACTOR_VERSION] = actor.version;
    if (actor.org !== undefined) attributes[DT_ACTOR_ORG] = actor.org;
  }
  return attributes;
}

function asException(error: unknown): Error | string {
  return error instanceof Error ? error : String(error);
}

/** A decision whose start failed: the callback still runs, nothing is recorded. */
export function detachedDecision(options: DecisionOptions): DecisionScope {
  const scope = new DecisionScope(
    options.id ?? randomUUID(),
    options.type,
    INVALID_SPAN_CONTEXT.traceId,
    INVALID_SPAN_CONTEXT.spanId,
    null,
    options.tenant,
    options.environment,
    trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  );
  return scope;
}
