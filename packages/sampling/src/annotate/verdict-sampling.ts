import type { TraceSampling } from '@decision-trace/model';
import type { TraceVerdict } from '../tail/final-decision.js';
import type { ReleaseReason } from '../tail/tail-sampler.js';

/**
 * A tail verdict as the records see it. The adjusted count is reported only when a ratio
 * policy decided, multiplied by what head samplers had already reported for the trace.
 */
export function samplingOfVerdict(verdict: TraceVerdict, headAdjustedCount: number | null = null, reason: ReleaseReason = 'decided'): TraceSampling {
  const sampling: TraceSampling = {
    trace_sampled: verdict.decision === 'sampled',
    policy: reason === 'decided' ? verdict.policy : reason === 'evicted' ? 'evicted_before_decision' : 'dropped_at_shutdown',
  };
  if (verdict.adjustedCount !== null) sampling.adjusted_count = verdict.adjustedCount * (headAdjustedCount ?? 1);
  return sampling;
}
