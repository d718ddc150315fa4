import { OttlCondition } from '../../ottl/condition.js';
import type { OttlEvalContext } from '../../ottl/paths.js';
import type { OttlErrorMode } from '../policy-config.js';
import type { TraceData } from '../trace-data.js';
import { PolicyEvaluationError, type PolicyDecision, type PolicyEvaluator, type PolicyHooks } from './policy.js';

/**
 * `ottl_condition`: sampled when any span condition holds for any span of the trace, or any
 * span-event condition for any event of one, visited in arrival order as the Collector visits
 * them (a span's own conditions before its events'). A condition that fails to evaluate is, by
 * `error_mode`: `propagate` — the policy fails for this trace (its verdict does not count, and
 * inside and/not/drop/composite the enclosing policy fails with it); `ignore` — logged as a
 * warning and taken as not matching; `silent` (also when not set) — taken as not matching.
 */
export class OttlConditionPolicy implements PolicyEvaluator {
  private readonly spanConditions: OttlCondition[];
  private readonly eventConditions: OttlCondition[];
  private readonly errorMode: OttlErrorMode;

  constructor(
    config: { error_mode: OttlErrorMode; span: string[]; spanevent: string[] },
    private readonly hooks: PolicyHooks = {},
  ) {
    if (config.span.length === 0 && config.spanevent.length === 0) throw new Error('expected at least one OTTL condition to filter on');
    this.spanConditions = config.span.map((text) => new OttlCondition(text, 'span'));
    this.eventConditions = config.spanevent.map((text) => new OttlCondition(text, 'spanevent'));
    this.errorMode = config.error_mode;
  }

  evaluate(trace: TraceData): PolicyDecision {
    const spanConditions = this.spanConditions.length > 0 ? this.spanConditions : undefined;
    const eventConditions = this.eventConditions.length > 0 ? this.eventConditions : undefined;
    for (const group of trace.groups) {
      for (const span of group.spans) {
        const ctx: OttlEvalContext = { resourceSpans: group.resourceSpans, scopeSpans: group.scopeSpans, span };
        if (spanConditions && this.anyHolds(spanConditions, ctx, trace)) return 'sampled';
        if (eventConditions) {
          for (const event of span.events) {
            if (this.anyHolds(eventConditions, { ...ctx, event }, trace)) return 'sampled';
          }
        }
      }
    }
    return 'not_sampled';
  }

  private anyHolds(conditions: OttlCondition[], ctx: OttlEvalContext, trace: TraceData): boolean {
    for (const condition of conditions) {
      try {
        if (condition.evaluate(ctx)) return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (this.errorMode === 'propagate') throw new PolicyEvaluationError(`failed to eval condition: ${condition.text}, ${message}`);
        if (this.errorMode === 'ignore') this.hooks.warn?.('failed to eval condition', { condition: condition.text, error: message, trace_id: trace.traceId });
      }
    }
    return false;
  }
}
