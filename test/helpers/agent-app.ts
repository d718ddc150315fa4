import { context, SpanKind, trace, type Span, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';

/**
 * An AI support agent instrumented with the real OpenTelemetry SDK: a decision whose work calls
 * two models (one span in the OTel GenAI convention, one in OpenInference's, both with cached
 * prompt tokens), and a nested decision that calls a third model and a tool.
 *
 *   POST /support
 *   └─ support.answer            decision answer-<run>
 *      ├─ chat gpt-4o            GenAI: 1200 in (1000 cached) / 300 out
 *      ├─ retrieve-and-answer    OpenInference CHAIN
 *      │  └─ ChatAnthropic       OpenInference LLM: 800 in (512 cached) / 50 out
 *      └─ tool.select            decision tool-<run>
 *         ├─ chat gpt-4o-mini    GenAI: 100 in / 10 out
 *         └─ execute_tool lookup_order
 */
export interface AgentTrace {
  traceId: string;
  answerId: string;
  toolId: string;
  spanIds: Record<string, string>;
}

export const EXPECTED_ANSWER_OWN = { input: 2000, output: 350, cached: 1512, total: 2350, llm_calls: 2 };
export const EXPECTED_ANSWER_WITH_NESTED = { input: 2100, output: 360, cached: 1512, total: 2460, llm_calls: 3 };
export const EXPECTED_TOOL = { input: 100, output: 10, cached: 0, total: 110, llm_calls: 1 };

/**
 * `simple`: every span is exported alone as it ends, so the model calls reach the collector in
 * requests of their own BEFORE the decision spans that contain them.
 */
export function makeAgentProvider(exporter: SpanExporter, mode: 'simple' | 'batch' = 'simple') {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-agent' }),
    spanProcessors: [mode === 'simple' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  return { provider, tracer: provider.getTracer('support-agent', '1.0.0') };
}

export interface AgentRunOptions {
  /** Called before the `support.answer` decision span ends, with that span (e.g. to start a child that ends later). */
  beforeDecisionEnds?(decision: Span): Promise<void>;
}

export async function runSupportAgent(tracer: Tracer, run: string, options: AgentRunOptions = {}): Promise<AgentTrace> {
  const spanIds: Record<string, string> = {};
  const start = (name: string, parent: Span | null, attributes: Record<string, string | number> = {}, kind = SpanKind.INTERNAL) => {
    const ctx = parent === null ? context.active() : trace.setSpan(context.active(), parent);
    const span = tracer.startSpan(name, { attributes, kind }, ctx);
    spanIds[name] = span.spanContext().spanId;
    return span;
  };

  const root = start('POST /support', null, { 'http.request.method': 'POST' }, SpanKind.SERVER);
  const answer = start('support.answer', root, {
    'decision.type': 'support.answer.v1',
    'decision.id': `answer-${run}`,
    'decision.outcome': 'refund_offered',
    'decision.tenant_id': 'acme',
  });
  start(
    'chat gpt-4o',
    answer,
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
    },
    SpanKind.CLIENT,
  ).end();
  const chain = start('retrieve-and-answer', answer, { 'openinference.span.kind': 'CHAIN' });
  start('ChatAnthropic', chain, {
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'claude-sonnet',
    'llm.token_count.prompt': 800,
    'llm.token_count.completion': 50,
    'llm.token_count.total': 850,
    'llm.token_count.prompt_details.cache_read': 512,
  }).end();
  chain.end();
  const tool = start('tool.select', answer, {
    'decision.type': 'tool.select.v1',
    'decision.id': `tool-${run}`,
    'decision.outcome': 'lookup_order',
    'decision.tenant_id': 'acme',
  });
  start(
    'chat gpt-4o-mini',
    tool,
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 10,
    },
    SpanKind.CLIENT,
  ).end();
  const lookup = start('execute_tool lookup_order', tool, { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' });
  lookup.setStatus({ code: 2, message: 'order service timed out' });
  lookup.end();
  tool.end();
  await options.beforeDecisionEnds?.(answer);
  answer.end();
  root.end();
  return { traceId: root.spanContext().traceId, answerId: `answer-${run}`, toolId: `tool-${run}`, spanIds };
}
