import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTokenCounts } from '../src/token-usage.js';

test('OTel GenAI usage: cached tokens are part of the input, total is input + output', () => {
  assert.deepEqual(
    readTokenCounts({
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
    }),
    { input: 1200, output: 300, cached: 1000, total: 1500 },
  );
});

test('each cached-token key the conventions use is read', () => {
  for (const key of [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'gen_ai.usage.input_tokens.cached',
    'gen_ai.usage.input_tokens_details.cached_tokens',
    'llm.token_count.prompt_details.cache_read',
  ]) {
    assert.equal(readTokenCounts({ 'gen_ai.usage.input_tokens': 100, [key]: 40 })?.cached, 40, key);
  }
});

test('OpenInference usage: prompt, completion, cache_read', () => {
  assert.deepEqual(
    readTokenCounts({
      'llm.token_count.prompt': 800,
      'llm.token_count.completion': 50,
      'llm.token_count.total': 850,
      'llm.token_count.prompt_details.cache_read': 512,
    }),
    { input: 800, output: 50, cached: 512, total: 850 },
  );
});

test('a span carrying both conventions is counted once (GenAI keys first)', () => {
  assert.deepEqual(
    readTokenCounts({
      'gen_ai.usage.input_tokens': 900,
      'gen_ai.usage.output_tokens': 40,
      'llm.token_count.prompt': 900,
      'llm.token_count.completion': 40,
      'llm.token_count.prompt_details.cache_read': 700,
    }),
    { input: 900, output: 40, cached: 700, total: 940 },
  );
});

test('older names, integer kinds and decimal strings are read; invalid counts are ignored', () => {
  assert.deepEqual(readTokenCounts({ 'gen_ai.usage.prompt_tokens': 10n, 'gen_ai.usage.completion_tokens': '5' }), {
    input: 10,
    output: 5,
    cached: 0,
    total: 15,
  });
  assert.deepEqual(readTokenCounts({ 'gen_ai.usage.input_tokens': -3, 'gen_ai.usage.output_tokens': 1.5, 'llm.token_count.prompt': 'many' }), null);
  assert.deepEqual(readTokenCounts({ 'gen_ai.usage.input_tokens': -3, 'llm.token_count.prompt': 7 }), { input: 7, output: 0, cached: 0, total: 7 });
});

test('cached tokens beyond the input mean the input excluded them: they are added once', () => {
  assert.deepEqual(readTokenCounts({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'gen_ai.usage.cache_read_input_tokens': 1000 }), {
    input: 1010,
    output: 5,
    cached: 1000,
    total: 1015,
  });
});

test('only a reported total: kept as the total', () => {
  assert.deepEqual(readTokenCounts({ 'llm.token_count.total': 77 }), { input: 0, output: 0, cached: 0, total: 77 });
});

test('a span without usage has none', () => {
  assert.equal(readTokenCounts({ 'gen_ai.request.model': 'gpt-4o' }), null);
  assert.equal(readTokenCounts({}), null);
});
