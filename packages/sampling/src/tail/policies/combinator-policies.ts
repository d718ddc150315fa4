import type { Clock } from '../../clock.js';
import { OneSecondWindow } from '../../rate/one-second-window.js';
import type { TraceData } from '../trace-data.js';
import type { PolicyDecision, PolicyEvaluator } from './policy.js';

/** `and`: sampled when no sub-policy says not sampled (an inverted "no" counts as no). */
export class AndPolicy implements PolicyEvaluator {
  constructor(private readonly subPolicies: PolicyEvaluator[]) {}

  evaluate(trace: TraceData): PolicyDecision {
    for (const policy of this.subPolicies) {
      const decision = policy.evaluate(trace);
      if (decision === 'not_sampled' || decision === 'invert_not_sampled') return 'not_sampled';
    }
    return 'sampled';
  }
}

/** `drop`: dropped when every sub-policy matches; a drop decision overrides every other policy. */
export class DropPolicy implements PolicyEvaluator {
  constructor(private readonly subPolicies: PolicyEvaluator[]) {}

  evaluate(trace: TraceData): PolicyDecision {
    for (const policy of this.subPolicies) {
      const decision = policy.evaluate(trace);
      if (decision === 'not_sampled' || decision === 'invert_not_sampled') return 'not_sampled';
    }
    return 'dropped';
  }
}

/** `not`: swaps sampled and not sampled; inverted decisions pass through unchanged. */
export class NotPolicy implements PolicyEvaluator {
  constructor(private readonly subPolicy: PolicyEvaluator) {}

  evaluate(trace: TraceData): PolicyDecision {
    const decision = this.subPolicy.evaluate(trace);
    if (decision === 'sampled') return 'not_sampled';
    if (decision === 'not_sampled') return 'sampled';
    return decision;
  }
}

export interface CompositeMember {
  name: string;
  policy: PolicyEvaluator;
  /** Spans per second this member may sample. */
  allocated: number;
}

/**
 * `composite`: members in `composite_sub_policy` order; the first that would sample decides — sampled if its
 * own allocation and the total still have room for the trace's spans this second, otherwise
 * not sampled (later members are not asked, as in the Collector).
 */
export class CompositePolicy implements PolicyEvaluator {
  private readonly windows: OneSecondWindow[];
  /** Name of the member that sampled the last trace evaluated. */
  lastMember: string | null = null;

  constructor(
    private readonly members: CompositeMember[],
    private readonly maxTotalSpansPerSecond: number,
    clock: Clock,
  ) {
    this.windows = members.map(() => new OneSecondWindow(clock));
  }

  evaluate(trace: TraceData): PolicyDecision {
    this.lastMember = null;
    for (let i = 0; i < this.members.length; i++) {
      const member = this.members[i];
      const decision = member.policy.evaluate(trace);
      if (decision !== 'sampled' && decision !== 'invert_sampled') continue;
      const window = this.windows[i];
      const ifSampled = window.current() + trace.spanCount;
      // The Collector compares each member's own count with the total cap as well.
      if (ifSampled <= member.allocated && ifSampled <= this.maxTotalSpansPerSecond) {
        window.add(trace.spanCount);
        this.lastMember = member.name;
        return 'sampled';
      }
      return 'not_sampled';
    }
    return 'not_sampled';
  }
}
