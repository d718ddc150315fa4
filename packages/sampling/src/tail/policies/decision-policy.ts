import type { DecisionRecord } from '@decision-trace/model';
import { globToRegExp } from '../../glob.js';
import type { DecisionMatchConfig } from '../policy-config.js';
import type { TraceData } from '../trace-data.js';
import type { PolicyDecision, PolicyEvaluator } from './policy.js';

/**
 * `decision` (ours): sampled when one decision of the trace meets every condition given —
 * type and version globs, outcome, confidence strictly below / above, actor type, whether it
 * has violations, its status. The trace's decisions are the records folded from the decision
 * events that travelled with its spans.
 */
export class DecisionPolicy implements PolicyEvaluator {
  private readonly conditions: Array<(record: DecisionRecord) => boolean> = [];

  constructor(config: DecisionMatchConfig) {
    if (config.type !== undefined) {
      const type = globToRegExp(config.type);
      this.conditions.push((record) => {
        if (record.type === null) return false;
        if (type.test(record.type)) return true;
        return record.version !== null && type.test(`${record.type}.${record.version}`);
      });
    }
    if (config.version !== undefined) {
      const version = globToRegExp(config.version);
      this.conditions.push((record) => record.version !== null && version.test(record.version));
    }
    if (config.outcome !== undefined && config.outcome.length > 0) {
      const outcomes = config.outcome.map(globToRegExp);
      this.conditions.push((record) => record.outcome !== null && outcomes.some((outcome) => outcome.test(record.outcome!)));
    }
    if (config.confidence_below !== undefined) {
      const below = config.confidence_below;
      this.conditions.push((record) => record.confidence !== null && record.confidence < below);
    }
    if (config.confidence_above !== undefined) {
      const above = config.confidence_above;
      this.conditions.push((record) => record.confidence !== null && record.confidence > above);
    }
    if (config.actor_type !== undefined && config.actor_type.length > 0) {
      const actorTypes = new Set(config.actor_type);
      this.conditions.push((record) => record.actor?.type != null && actorTypes.has(record.actor.type));
    }
    if (config.has_violations !== undefined) {
      const wanted = config.has_violations;
      this.conditions.push((record) => hasViolations(record) === wanted);
    }
    if (config.status !== undefined) {
      const status = config.status;
      this.conditions.push((record) => record.status === status);
    }
  }

  evaluate(trace: TraceData): PolicyDecision {
    for (const record of trace.decisions.values()) {
      if (this.conditions.every((condition) => condition(record))) return 'sampled';
    }
    return 'not_sampled';
  }
}

const FAILED_RESULTS = new Set(['fail', 'failed', 'failure', 'deny', 'denied', 'violation', 'violated', 'reject', 'rejected', 'block', 'blocked', 'false']);

/**
 * A decision has violations when it carries contract violations (`violations`, set by the
 * decision registry) or a policy check that failed (`false`, `fail`, `deny`, `violated`, …).
 */
export function hasViolations(record: DecisionRecord): boolean {
  const violations = (record as DecisionRecord & { violations?: unknown }).violations;
  if (Array.isArray(violations) && violations.length > 0) return true;
  for (const check of record.policy_checks) {
    const result = check.result;
    if (result === false) return true;
    if (typeof result === 'string' && FAILED_RESULTS.has(result.trim().toLowerCase())) return true;
  }
  return false;
}
