import { readFile } from 'node:fs/promises';
import { LineageIndex, extractDecisionEvents, type DecisionEvent, type ResourceSpans } from '@decision-trace/model';
import { decodeTraceRequestJson } from '@decision-trace/otlp';
import {
  ManualClock,
  ProbabilisticSpanSampler,
  RateLimiter,
  SpanGroups,
  TailSampler,
  filterSpans,
  type FinalDecision,
} from '@decision-trace/sampling';
import { defaultComponents } from '../components.js';
import type { CollectorConfig } from '../config/collector-config.js';
import { ConfigErrors } from '../config/config-error.js';
import { loadCollectorConfig } from '../config/load-config.js';
import type { ProbabilisticSamplerProcessorConfig } from '../processors/probabilistic_sampler/config.js';
import type { RateLimitingProcessorConfig } from '../processors/rate_limiting/config.js';
import type { TailSamplingProcessorConfig } from '../processors/tail_sampling/config.js';
import { renderTable } from './format.js';

export interface TraceSamplingResult {
  traceId: string;
  decision: FinalDecision;
  /** The tail policy or the head processor (its id) that decided; null when nothing matched. */
  policy: string | null;
}

const SAMPLING_TYPES = new Set(['probabilistic_sampler', 'rate_limiting', 'tail_sampling']);

/**
 * Runs the config's sampling processors over traces as if each had just arrived whole: all of
 * a trace's spans at once, then its decision. Head samplers drop spans; a trace none of whose
 * spans survive a head sampler is `not_sampled` by that processor. The tail sampler (if any)
 * then decides. Processors run in the order of the first traces pipeline that has one; rate
 * limits see every trace at the same instant, in file order.
 */
export function runSamplingTest(config: CollectorConfig, requests: ResourceSpans[][]): TraceSamplingResult[] {
  const pipeline = config.service.pipelines.find((p) => p.processors.some((id) => SAMPLING_TYPES.has(typeOf(id))));
  if (!pipeline) throw new Error('no traces pipeline uses probabilistic_sampler, rate_limiting or tail_sampling');

  const lineage = new LineageIndex();
  const decisions: DecisionEvent[] = [];
  const traces = new Map<string, SpanGroups>();
  for (const resourceSpans of requests) {
    decisions.push(...extractDecisionEvents(resourceSpans, { lineage }));
    for (const resource of resourceSpans) {
      for (const scope of resource.scopeSpans) {
        for (const span of scope.spans) {
          let groups = traces.get(span.traceId);
          if (!groups) traces.set(span.traceId, (groups = new SpanGroups()));
          groups.add(resource, scope, span);
        }
      }
    }
  }
  const decisionsByTrace = new Map<string, DecisionEvent[]>();
  for (const event of decisions) {
    if (!event.trace_id) continue;
    const list = decisionsByTrace.get(event.trace_id);
    if (list) list.push(event);
    else decisionsByTrace.set(event.trace_id, [event]);
  }

  const clock = new ManualClock(Date.now());
  const stages: Array<{ id: string; run: (spans: ResourceSpans[], traceId: string, events: DecisionEvent[]) => { spans: ResourceSpans[]; count: number; verdict?: { decision: FinalDecision; policy: string | null } } }> = [];
  for (const id of pipeline.processors) {
    const resolved = config.processors.get(id)!;
    switch (typeOf(id)) {
      case 'probabilistic_sampler': {
        const sampler = new ProbabilisticSpanSampler(resolved.config as ProbabilisticSamplerProcessorConfig);
        stages.push({
          id,
          run: (spans) => {
            const kept = filterSpans(spans, (span) => {
              const decision = sampler.decide(span);
              return decision.sampled ? { ...span, traceState: decision.traceState } : null;
            });
            return { spans: kept.resourceSpans, count: kept.spanCount };
          },
        });
        break;
      }
      case 'rate_limiting': {
        const limiter = new RateLimiter(resolved.config as RateLimitingProcessorConfig, clock);
        stages.push({
          id,
          run: (spans) => {
            const kept = filterSpans(spans, (span) => (limiter.admit(span.traceId) ? span : null));
            return { spans: kept.resourceSpans, count: kept.spanCount };
          },
        });
        break;
      }
      case 'tail_sampling': {
        const tailConfig = resolved.config as TailSamplingProcessorConfig;
        // Offline, every trace of the file is held at once: nothing is evicted.
        const tail = new TailSampler({ ...tailConfig, num_traces: Math.max(tailConfig.num_traces, traces.size + 1) }, clock);
        stages.push({
          id,
          run: (spans, _traceId, events) => {
            tail.ingest(spans, events);
            const [released] = tail.decideAll();
            return { spans: released?.resourceSpans ?? [], count: released?.verdict.decision === 'sampled' ? released.spanCount : 0, verdict: released?.verdict };
          },
        });
        break;
      }
    }
  }

  const results: TraceSamplingResult[] = [];
  for (const [traceId, groups] of traces) {
    let spans = groups.toResourceSpans();
    let outcome: TraceSamplingResult | undefined;
    let lastHead: string | null = null;
    for (const stage of stages) {
      const out = stage.run(spans, traceId, decisionsByTrace.get(traceId) ?? []);
      if (out.verdict) {
        outcome = { traceId, decision: out.verdict.decision, policy: out.verdict.policy };
        break;
      }
      if (out.count === 0) {
        outcome = { traceId, decision: 'not_sampled', policy: stage.id };
        break;
      }
      lastHead = stage.id;
      spans = out.spans;
    }
    results.push(outcome ?? { traceId, decision: 'sampled', policy: lastHead });
  }
  return results;
}

function typeOf(id: string): string {
  const slash = id.indexOf('/');
  return slash === -1 ? id : id.slice(0, slash);
}

/** Reads one ExportTraceServiceRequest in OTLP JSON, or a JSON array of them. */
export function parseRequestsFile(text: string): ResourceSpans[][] {
  const parsed: unknown = JSON.parse(text);
  const requests = Array.isArray(parsed) ? parsed : [parsed];
  return requests.map((request, index) => {
    try {
      return decodeTraceRequestJson(JSON.stringify(request)).resourceSpans;
    } catch (error) {
      throw new Error(`request ${index}: ${(error as Error).message}`);
    }
  });
}

/** Exit codes: 0 done, 2 invalid config or input. */
export async function samplingTestCommand(options: { config: string; input: string; json?: boolean }): Promise<void> {
  let config: CollectorConfig;
  try {
    config = await loadCollectorConfig(options.config, defaultComponents());
  } catch (error) {
    if (error instanceof ConfigErrors) {
      process.stderr.write(`decision-trace: ${options.config}: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  let requests: ResourceSpans[][];
  try {
    requests = parseRequestsFile(await readFile(options.input, 'utf8'));
  } catch (error) {
    process.stderr.write(`decision-trace: ${options.input}: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  let results: TraceSamplingResult[];
  try {
    results = runSamplingTest(config, requests);
  } catch (error) {
    process.stderr.write(`decision-trace: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.json) {
    process.stdout.write(results.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return;
  }
  const rows = results.map((r) => [r.traceId, r.decision, r.policy ?? '-']);
  const counts = { sampled: 0, not_sampled: 0, dropped: 0 };
  for (const r of results) counts[r.decision]++;
  process.stdout.write(`${renderTable(['TRACE ID', 'DECISION', 'POLICY'], rows)}\n\n`);
  process.stdout.write(`${results.length} traces: ${counts.sampled} sampled, ${counts.not_sampled} not sampled, ${counts.dropped} dropped\n`);
}
