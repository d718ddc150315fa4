import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presentAiKeys } from '../src/ai-attribute-keys.js';
import { toContextSpan } from '../src/context-span.js';
import { classifySpanKind } from '../src/span-kind.js';
import { readTokenCounts } from '../src/token-usage.js';
import type { Attributes } from '../src/otlp-types.js';
import { span, spanId } from './span-builders.js';

/** Attribute sets covering every key the context-span readers look at, alone and together. */
function attributeSets(): Attributes[] {
  const nullPrototype = Object.create(null) as Attributes;
  nullPrototype['llm.model_name'] = 'claude';
  nullPrototype['llm.token_count.total'] = '42';
  const withProtoKey = { 'tool.name': 'search' } as Attributes;
  Object.defineProperty(withProtoKey, '__proto__', { value: 'x', enumerable: true, writable: true, configurable: true });
  return [
    {},
    { 'http.request.method': 'GET', 'url.path': '/a' },
    { 'openinference.span.kind': ' reranker ', 'llm.token_count.prompt': 10, 'llm.token_count.completion': 5 },
    { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.agent.name': 'planner' },
    { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'router', 'agent.name': '' },
    { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'calc' },
    { 'llm.request.type': 'embedding', 'embedding.model_name': 'e5', 'llm.response.model': 'r', 'llm.request.model': 'q' },
    { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 812, 'gen_ai.usage.output_tokens': 64, 'db.system': 'postgresql' },
    {
      'gen_ai.response.model': null,
      'gen_ai.usage.prompt_tokens': '7',
      'gen_ai.usage.completion_tokens': 2n,
      'gen_ai.usage.cache_read_input_tokens': 9,
      'gen_ai.usage.input_tokens.cached': 1,
      'gen_ai.usage.input_tokens_details.cached_tokens': 2,
      'llm.token_count.prompt_details.cache_read': 3,
      'llm.token_count.prompt_details.cache_input': 4,
      'gen_ai.usage.total_tokens': 99,
      'llm.usage.total_tokens': 98,
    },
    nullPrototype,
    withProtoKey,
  ];
}

test('presentAiKeys finds the AI keys a span holds, whatever else is there', () => {
  assert.equal(presentAiKeys({}), 0);
  assert.equal(presentAiKeys({ 'http.request.method': 'GET', 'gen_ai.request.modelx': 'no' }), 0);
  const one = presentAiKeys({ 'gen_ai.request.model': 'm' });
  const two = presentAiKeys({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 });
  assert.notEqual(one, 0);
  assert.equal(two & one, one);
  assert.notEqual(two, one);
});

test('a context span reads kind, model, agent, tool and tokens as the unscanned readers do', () => {
  for (const attributes of attributeSets()) {
    const context = toContextSpan(span({ spanId: spanId(1), attributes }), 'acme', null);
    const classified = classifySpanKind(attributes);
    assert.equal(context.kind, classified?.kind ?? null, JSON.stringify(Object.keys(attributes)));
    assert.equal(context.kind_source, classified?.source ?? null);
    assert.deepEqual(context.token_usage, readTokenCounts(attributes));
    // Scanned first, then read: the same answers.
    assert.deepEqual(classifySpanKind(attributes, presentAiKeys(attributes)), classified);
    assert.deepEqual(readTokenCounts(attributes, presentAiKeys(attributes)), readTokenCounts(attributes));
  }
  const [, , reranker, tool, traceloopAgent, traceloopTool, embedding] = attributeSets().map((attributes) =>
    toContextSpan(span({ spanId: spanId(1), attributes }), 'acme', null),
  );
  assert.deepEqual([reranker.kind, reranker.token_usage], ['RETRIEVER', { input: 10, output: 5, cached: 0, total: 15 }]);
  assert.deepEqual([tool.kind, tool.tool_name, tool.agent_name, tool.operation], ['TOOL', 'lookup', 'planner', 'execute_tool']);
  assert.deepEqual([traceloopAgent.kind, traceloopAgent.agent_name], ['AGENT', 'router']);
  assert.deepEqual([traceloopTool.kind, traceloopTool.tool_name], ['TOOL', 'calc']);
  assert.deepEqual([embedding.kind, embedding.model], ['EMBEDDING', 'e5']);
});
