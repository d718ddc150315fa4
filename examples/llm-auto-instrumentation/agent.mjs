// LLM calls instrumented by the ecosystem's own package, under a decision: OpenInference's
// OpenAI instrumentation (from npm) makes a span for each `chat.completions.create`, with the
// model, the messages and the token usage; because the call runs inside `decision()`, that LLM
// span is a child of the decision's span. No patching of our own.
//
//   npm start                                              # terminal 1: collector + decision API
//   node examples/llm-auto-instrumentation/agent.mjs       # terminal 2
//   npx decision-trace show <decision id>
//
// Two exports, as in any existing OpenTelemetry set-up with the decision processor added:
// - every span (decision spans and the LLM spans beneath them) goes over OTLP to the bundled
//   collector, which keeps the spans of traces holding decisions and rolls the LLM calls' token
//   usage up onto the decision records (forwarding the spans on to any OTel backend it is
//   configured with);
// - the DecisionSpanProcessor sends the decisions straight to the decision API as well, so a
//   decision is recorded even when the head sampler drops its trace.
// The same decision arriving both ways is stored once: both convert the span with the same code
// into an event with the same id (`otlp:<trace id>:<span id>`), and the store keeps one event per id.
//
// The "provider" is the refund agent's local stand-in for the OpenAI API, so no key or network
// is needed; point `baseURL` at the real API and the spans are the same.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import * as openaiModule from 'openai';
import { DecisionSpanProcessor, HttpDecisionSink, decision } from '@decision-trace/sdk';
import { startLlmStandIn } from '../refund-agent/llm-stand-in.mjs';

const OTLP_URL = process.env.OTLP_URL ?? 'http://localhost:4318';
const DECISION_API = process.env.DECISION_TRACE_API ?? 'http://127.0.0.1:8711';
const API_KEY = process.env.DT_API_KEY || undefined;
const MODEL = 'gpt-4o-mini';
const AGENT = { id: 'refund-agent', type: 'agent', version: '1.1.0' };

const openAIInstrumentation = new OpenAIInstrumentation();
const decisions = new DecisionSpanProcessor({ sink: new HttpDecisionSink({ endpoint: DECISION_API, apiKey: API_KEY }) });
const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': 'refund-agent-llm' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${OTLP_URL}/v1/traces` })), decisions],
  instrumentations: [openAIInstrumentation],
});
sdk.start();
// Instrumentations hook `require`; an ES module import of `openai` is handed over explicitly.
openAIInstrumentation.manuallyInstrument(openaiModule);

const llm = await startLlmStandIn();
const client = new openaiModule.OpenAI({ baseURL: llm.url, apiKey: 'stand-in-key' });

async function adviseOnRefund(request) {
  const completion = await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: 'system', content: 'You advise on refunds. Answer with JSON: {decision, confidence, rationale}.' },
      { role: 'user', content: `order: ${request.orderId}\namount: ${request.amount}\nreason: ${request.reason}` },
    ],
  });
  return { advice: JSON.parse(completion.choices[0].message.content), usage: completion.usage };
}

async function handleRefund(request) {
  return decision({ type: 'refund.approve.v2', actor: AGENT, tenant: 'acme' }, async (d) => {
    d.evidence('request', request);
    const { advice, usage } = await adviseOnRefund(request);
    d.evidence('model_advice', advice);
    const approved = advice.decision === 'approve';
    d.outcome(approved ? 'approved' : 'denied', { confidence: advice.confidence, factors: { model: advice.rationale } });
    return { id: d.id, traceId: d.traceId, outcome: approved ? 'approved' : 'denied', usage };
  });
}

const requests = [
  { orderId: 'o-2001', amount: 35, reason: 'mug arrived broken' },
  { orderId: 'o-2002', amount: 80, reason: 'changed my mind' },
];

const made = [];
try {
  for (const request of requests) {
    const decided = await handleRefund(request);
    made.push(decided);
    console.log(`decision ${decided.id} ${decided.outcome} trace ${decided.traceId} tokens ${decided.usage.prompt_tokens}+${decided.usage.completion_tokens}`);
  }
} finally {
  // Flushes both exports: the spans to the collector, the decisions to the decision API.
  await sdk.shutdown().catch((error) => console.error(`trace export: ${error.message}`));
  await llm.close();
}
const { exportedEvents, failedEvents, dropped } = decisions.stats;
console.log(`delivered ${exportedEvents} decision events to ${DECISION_API} (failed ${failedEvents}, dropped ${dropped})`);

// The roll-up happens in the collector once both the decision and its trace's LLM spans are
// stored; the records show it shortly after the export.
for (const { id } of made) {
  const record = await recordWithTokenUsage(id);
  const usage = record?.token_usage;
  console.log(
    usage
      ? `recorded ${id} token_usage input ${usage.input} output ${usage.output} total ${usage.total} (${usage.llm_calls} LLM call${usage.llm_calls === 1 ? '' : 's'})`
      : `recorded ${id} without token usage (are the spans going to the collector at ${OTLP_URL}?)`,
  );
}

async function recordWithTokenUsage(id, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let record;
  do {
    const response = await fetch(`${DECISION_API}/v1/decisions/${encodeURIComponent(id)}`, {
      headers: API_KEY ? { authorization: `Bearer ${API_KEY}` } : {},
    });
    if (response.ok) record = await response.json();
    if (record?.token_usage) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < deadline);
  return record;
}
