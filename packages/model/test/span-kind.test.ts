import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySpanKind } from '../src/span-kind.js';
import type { Attributes } from '../src/otlp-types.js';

const kindOf = (attributes: Attributes) => classifySpanKind(attributes)?.kind ?? null;
const sourceOf = (attributes: Attributes) => classifySpanKind(attributes)?.source ?? null;

test('OTel GenAI: gen_ai.operation.name', () => {
  for (const operation of ['chat', 'text_completion', 'generate_content']) {
    assert.equal(kindOf({ 'gen_ai.operation.name': operation }), 'LLM', operation);
  }
  assert.equal(kindOf({ 'gen_ai.operation.name': 'embeddings' }), 'EMBEDDING');
  assert.equal(kindOf({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' }), 'TOOL');
  assert.equal(kindOf({ 'gen_ai.operation.name': 'invoke_agent' }), 'AGENT');
  assert.equal(kindOf({ 'gen_ai.operation.name': 'create_agent' }), 'AGENT');
  assert.equal(sourceOf({ 'gen_ai.operation.name': 'chat' }), 'gen_ai');
});

test('OpenInference: openinference.span.kind, any case; its extra kinds map onto ours', () => {
  for (const kind of ['LLM', 'AGENT', 'TOOL', 'CHAIN', 'RETRIEVER', 'EMBEDDING']) {
    assert.equal(kindOf({ 'openinference.span.kind': kind }), kind);
  }
  assert.equal(kindOf({ 'openinference.span.kind': 'llm' }), 'LLM');
  assert.equal(kindOf({ 'openinference.span.kind': 'RERANKER' }), 'RETRIEVER');
  assert.equal(kindOf({ 'openinference.span.kind': 'GUARDRAIL' }), 'FUNCTION');
  assert.equal(kindOf({ 'openinference.span.kind': 'EVALUATOR' }), 'FUNCTION');
  assert.equal(kindOf({ 'openinference.span.kind': 'PROMPT' }), 'FUNCTION');
  assert.equal(sourceOf({ 'openinference.span.kind': 'LLM' }), 'openinference');
});

test('Traceloop: traceloop.span.kind and OpenLLMetry llm.request.type', () => {
  assert.equal(kindOf({ 'traceloop.span.kind': 'workflow' }), 'CHAIN');
  assert.equal(kindOf({ 'traceloop.span.kind': 'task' }), 'FUNCTION');
  assert.equal(kindOf({ 'traceloop.span.kind': 'agent' }), 'AGENT');
  assert.equal(kindOf({ 'traceloop.span.kind': 'tool' }), 'TOOL');
  assert.equal(sourceOf({ 'traceloop.span.kind': 'tool' }), 'traceloop');
  assert.equal(kindOf({ 'llm.request.type': 'chat' }), 'LLM');
  assert.equal(kindOf({ 'llm.request.type': 'completion' }), 'LLM');
  assert.equal(kindOf({ 'llm.request.type': 'embedding' }), 'EMBEDDING');
  assert.equal(kindOf({ 'llm.request.type': 'rerank' }), 'RETRIEVER');
});

test('names alone: tool, then agent, then a model name', () => {
  assert.equal(kindOf({ 'gen_ai.tool.name': 'refund_api' }), 'TOOL');
  assert.equal(kindOf({ 'gen_ai.agent.name': 'refund-agent' }), 'AGENT');
  assert.equal(kindOf({ 'gen_ai.agent.name': 'refund-agent', 'gen_ai.tool.name': 'refund_api' }), 'TOOL');
  assert.equal(kindOf({ 'gen_ai.agent.name': 'refund-agent', 'gen_ai.request.model': 'gpt-4o' }), 'AGENT');
  assert.equal(kindOf({ 'gen_ai.request.model': 'gpt-4o' }), 'LLM');
  assert.equal(kindOf({ 'llm.model_name': 'claude-sonnet' }), 'LLM');
  assert.equal(sourceOf({ 'llm.model_name': 'claude-sonnet' }), 'names');
  assert.equal(kindOf({ 'gen_ai.tool.name': '' }), null, 'an empty name says nothing');
});

test('precedence: OpenInference > GenAI operation > Traceloop > llm.request.type > names', () => {
  const all: Attributes = {
    'openinference.span.kind': 'AGENT',
    'gen_ai.operation.name': 'chat',
    'traceloop.span.kind': 'tool',
    'llm.request.type': 'embedding',
    'gen_ai.tool.name': 'refund_api',
  };
  assert.equal(kindOf(all), 'AGENT');
  const { 'openinference.span.kind': _oi, ...withoutOpenInference } = all;
  assert.equal(kindOf(withoutOpenInference), 'LLM');
  const { 'gen_ai.operation.name': _op, ...withoutGenAi } = withoutOpenInference;
  assert.equal(kindOf(withoutGenAi), 'TOOL');
  assert.equal(sourceOf(withoutGenAi), 'traceloop');
  const { 'traceloop.span.kind': _tl, ...withoutTraceloop } = withoutGenAi;
  assert.equal(kindOf(withoutTraceloop), 'EMBEDDING');
  const { 'llm.request.type': _rt, ...namesOnly } = withoutTraceloop;
  assert.equal(kindOf(namesOnly), 'TOOL');
});

test('unknown values fall through to the next convention; ordinary spans have no kind', () => {
  assert.equal(kindOf({ 'openinference.span.kind': 'UNKNOWN', 'gen_ai.operation.name': 'chat' }), 'LLM');
  assert.equal(kindOf({ 'gen_ai.operation.name': 'something_new', 'traceloop.span.kind': 'workflow' }), 'CHAIN');
  assert.equal(kindOf({ 'openinference.span.kind': 42 }), null, 'not a string');
  assert.equal(kindOf({ 'http.request.method': 'POST', 'url.path': '/refunds' }), null);
  assert.equal(kindOf({}), null);
});
