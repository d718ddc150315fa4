import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rollUpTokenUsage, traceTokenUsage, type RollupSpan } from '../src/token-rollup.js';
import type { TokenCounts } from '../src/token-usage.js';

function node(span_id: string, parent_span_id: string | null, kind: RollupSpan['kind'] = null, token_usage: TokenCounts | null = null): RollupSpan {
  return { span_id, parent_span_id, kind, token_usage };
}
function call(span_id: string, parent: string, input: number, output: number, cached = 0): RollupSpan {
  return node(span_id, parent, 'LLM', { input, output, cached, total: input + output });
}

//   root ─ agent (decision A) ─┬─ c1 LLM 100/10
//                              └─ sub (decision B) ─ tool ─ c2 LLM 200/20 (cached 150)
const spans = [
  node('root', null),
  node('agent', 'root', 'AGENT', { input: 9999, output: 9999, cached: 0, total: 19998 }),
  call('c1', 'agent', 100, 10),
  node('sub', 'agent', 'CHAIN'),
  node('tool', 'sub', 'TOOL'),
  call('c2', 'tool', 200, 20, 150),
];

test('own usage stops at nested decisions; with_nested covers the subtree; each call counted once', () => {
  const usage = rollUpTokenUsage(spans, [
    { id: 'A', span_id: 'agent' },
    { id: 'B', span_id: 'sub' },
  ]);
  assert.deepEqual(usage.get('A'), {
    token_usage: { input: 100, output: 10, cached: 0, total: 110, llm_calls: 1 },
    token_usage_with_nested: { input: 300, output: 30, cached: 150, total: 330, llm_calls: 2 },
  });
  assert.deepEqual(usage.get('B'), {
    token_usage: { input: 200, output: 20, cached: 150, total: 220, llm_calls: 1 },
    token_usage_with_nested: { input: 200, output: 20, cached: 150, total: 220, llm_calls: 1 },
  });
});

test('without the nested decision its calls are the outer decision’s own', () => {
  const usage = rollUpTokenUsage(spans, [{ id: 'A', span_id: 'agent' }]);
  assert.deepEqual(usage.get('A')!.token_usage, { input: 300, output: 30, cached: 150, total: 330, llm_calls: 2 });
});

test('only LLM spans count: an agent span’s aggregate usage is not added again', () => {
  const usage = rollUpTokenUsage(spans, [{ id: 'R', span_id: 'root' }]);
  assert.equal(usage.get('R')!.token_usage!.llm_calls, 2);
  assert.equal(usage.get('R')!.token_usage!.input, 300);
});

test('an LLM span with LLM spans beneath it (double instrumentation) is not counted', () => {
  const nested = [node('d', null), call('framework', 'd', 500, 50), call('provider-1', 'framework', 300, 30), call('provider-2', 'framework', 200, 20)];
  const usage = rollUpTokenUsage(nested, [{ id: 'D', span_id: 'd' }]);
  assert.deepEqual(usage.get('D')!.token_usage, { input: 500, output: 50, cached: 0, total: 550, llm_calls: 2 });
  assert.equal(traceTokenUsage(nested)!.llm_calls, 2);
});

test('decisions on one span share its usage; a decision on the LLM span itself owns that call', () => {
  const usage = rollUpTokenUsage(spans, [
    { id: 'A', span_id: 'agent' },
    { id: 'A-event', span_id: 'agent' },
    { id: 'on-call', span_id: 'c2' },
  ]);
  assert.deepEqual(usage.get('A'), usage.get('A-event'));
  assert.equal(usage.get('A')!.token_usage!.llm_calls, 1);
  assert.equal(usage.get('A')!.token_usage_with_nested!.llm_calls, 2);
  assert.equal(usage.get('on-call')!.token_usage!.input, 200);
});

test('decisions without a span or without calls beneath get null', () => {
  const usage = rollUpTokenUsage(spans, [
    { id: 'spanless', span_id: null },
    { id: 'tool-only', span_id: 'c1-sibling' },
  ]);
  assert.deepEqual(usage.get('spanless'), { token_usage: null, token_usage_with_nested: null });
  assert.deepEqual(usage.get('tool-only'), { token_usage: null, token_usage_with_nested: null });
});

test('a missing span breaks the walk; a decision span not stored itself is still reached', () => {
  const partial = [call('c', 'gap', 10, 1), node('above', 'decision-span'), call('d', 'decision-span', 20, 2)];
  const usage = rollUpTokenUsage(partial, [{ id: 'X', span_id: 'decision-span' }]);
  assert.deepEqual(usage.get('X')!.token_usage, { input: 20, output: 2, cached: 0, total: 22, llm_calls: 1 });
});

test('a cycle in the parent links ends', () => {
  const cyclic = [node('a', 'b'), node('b', 'a'), call('c', 'a', 1, 1), call('d', 'b', 2, 2)];
  const usage = rollUpTokenUsage(cyclic, [{ id: 'X', span_id: 'a' }]);
  assert.deepEqual(usage.get('X')!.token_usage_with_nested, { input: 3, output: 3, cached: 0, total: 6, llm_calls: 2 }, 'each call once');
  assert.equal(traceTokenUsage(cyclic)!.llm_calls, 2);
});

test('trace usage counts every call, beneath a decision or not', () => {
  assert.deepEqual(traceTokenUsage([...spans, call('outside', 'root', 1, 1)]), { input: 301, output: 31, cached: 150, total: 332, llm_calls: 3 });
  assert.equal(traceTokenUsage([node('x', null)]), null);
});
