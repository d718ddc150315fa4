import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import type { ResourceSpans } from '@decision-trace/model';
import { decodeTraceRequestJson } from '@decision-trace/otlp';
import { ManualClock, SpanGroups, type FinalDecision } from '@decision-trace/sampling';
import { CollectingConsumer } from '../component/collecting-consumer.js';
import {
  isMutatingProcessor,
  type DecidedTrace,
  type MutatingProcessorComponent,
  type ProcessorComponent,
  type ProcessorFactory,
} from '../component/component.js';
import { offlineHost } from '../component/offline-host.js';
import { defaultComponents } from '../components.js';
import type { CollectorConfig } from '../config/collector-config.js';
import { ConfigErrors } from '../config/config-error.js';
import { loadCollectorConfig } from '../config/load-config.js';
import { copyOfBatch } from '../pipeline/fanout.js';
import { renderTable } from './format.js';

export interface TraceSamplingResult {
  traceId: string;
  decision: FinalDecision;
  /** The tail policy or the head processor (its id) that decided; null when nothing matched. */
  policy: string | null;
}

const SAMPLING_TYPES = new Set(['probabilistic_sampler', 'rate_limiting', 'tail_sampling']);
/**
 * Left out of the offline run: it refuses data by this process's memory use, which says nothing
 * about which traces the pipeline keeps.
 */
const NOT_RUN = new Set(['memory_limiter']);

/** One processor of the pipeline, with what came out of it and the traces it decided whole. */
interface Stage {
  id: string;
  processor: ProcessorComponent;
  passed: CollectingConsumer;
  decided: Map<string, DecidedTrace>;
}

/**
 * Runs the processors of the config's first traces pipeline that samples, built by their own
 * factories exactly as the service builds them, over traces as if each had just arrived whole:
 * all of a trace's spans in one batch, trace after trace in file order, on a clock that stands
 * still (rate limits see every trace at the same instant); then shuts the processors down, which
 * decides every trace a tail sampler still holds. A trace is decided by the first processor that
 * decided it whole (tail_sampling) or out of which none of its spans came (`not_sampled` by that
 * processor's id); a trace that came through every processor is `sampled` by the last sampling
 * processor.
 */
export async function runSamplingTest(config: CollectorConfig, requests: ResourceSpans[][]): Promise<TraceSamplingResult[]> {
  const pipeline = config.service.pipelines.find((p) => p.processors.some((id) => SAMPLING_TYPES.has(typeOf(id))));
  if (!pipeline) throw new Error('no traces pipeline uses probabilistic_sampler, rate_limiting or tail_sampling');

  const traces = new Map<string, SpanGroups>();
  for (const resourceSpans of requests) {
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

  const clock = new ManualClock(Date.now());
  const host = offlineHost();
  const logger = pino({ level: 'silent' });
  const stages: Stage[] = [];
  let next = new CollectingConsumer();
  for (const id of [...pipeline.processors].reverse()) {
    if (NOT_RUN.has(typeOf(id))) continue;
    const resolved = config.processors.get(id)!;
    let processorConfig = resolved.config;
    if (typeOf(id) === 'tail_sampling') {
      // Offline, every trace of the file is held until the end: none may be evicted.
      const tail = processorConfig as { num_traces: number };
      processorConfig = { ...tail, num_traces: Math.max(tail.num_traces, traces.size + 1) };
    }
    const decided = new Map<string, DecidedTrace>();
    const factory = resolved.factory as ProcessorFactory;
    const settings = {
      id,
      config: processorConfig,
      logger,
      host,
      pipeline: pipeline.id,
      clock,
      onTraceDecided: (verdict: DecidedTrace) => decided.set(verdict.traceId, verdict),
    };
    // The taps keep what each stage was handed: a processor that changes spans in place gets a copy.
    const processor = isMutatingProcessor(factory) ? handedCopies(factory.create(settings, next)) : factory.create(settings, next);
    stages.unshift({ id, processor, passed: next, decided });
    next = new CollectingConsumer(processor);
  }

  for (const stage of stages) await stage.processor.start();
  try {
    for (const groups of traces.values()) {
      const resourceSpans = groups.toResourceSpans();
      await next.consumeTraces({ resourceSpans, spanCount: groups.count, decisions: [] });
    }
  } finally {
    // In pipeline order, so what one processor still holds reaches the next before it stops.
    for (const stage of stages) await stage.processor.shutdown({ deadline: Date.now() });
  }

  const passedBy = stages.map((stage) => stage.passed.traceIds());
  const lastSampler = [...stages].reverse().find((stage) => SAMPLING_TYPES.has(typeOf(stage.id)))?.id ?? null;
  return [...traces.keys()].map((traceId) => {
    for (const [index, stage] of stages.entries()) {
      const verdict = stage.decided.get(traceId);
      if (verdict) return { traceId, decision: verdict.decision, policy: verdict.policy };
      if (!passedBy[index].has(traceId)) return { traceId, decision: 'not_sampled', policy: stage.id };
    }
    return { traceId, decision: 'sampled', policy: lastSampler };
  });
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
    results = await runSamplingTest(config, requests);
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

function handedCopies(processor: MutatingProcessorComponent): ProcessorComponent {
  return {
    start: () => processor.start(),
    shutdown: (context) => processor.shutdown(context),
    consumeTraces: (batch) => processor.consumeTraces(copyOfBatch(batch)),
  };
}
