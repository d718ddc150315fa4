import type { ReadonlyAttributeValue, ReadonlyAttributes } from './readonly-otlp-types.js';
import { aiAttributeKeys, EVERY_AI_KEY, readAiAttribute, type AiAttributeKey, type PresentAiKeys } from './ai-attribute-keys.js';

/**
 * Token counts of one model call, read from the attributes of the conventions users emit:
 * OTel GenAI (`gen_ai.usage.*`) and OpenInference (`llm.token_count.*`).
 *
 * `cached` is a PART of `input` (both conventions count cache reads in the prompt tokens), so
 * `total` is `input + output` and cached tokens are never added on top.
 */
export interface TokenCounts {
  /** Prompt tokens, cached ones included. */
  input: number;
  output: number;
  /** Prompt tokens served from the provider's cache; included in `input`. */
  cached: number;
  /** input + output. */
  total: number;
}

/** Token counts summed over LLM calls. */
export interface TokenUsage extends TokenCounts {
  llm_calls: number;
}

// For each count the first key present wins: a span that carries two conventions at once
// (instrumentations that mirror GenAI keys into OpenInference ones) is counted once.
const INPUT_KEYS = aiAttributeKeys(['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt']);
const OUTPUT_KEYS = aiAttributeKeys(['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion']);
const CACHED_KEYS = aiAttributeKeys([
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_read_input_tokens',
  'gen_ai.usage.input_tokens.cached',
  'gen_ai.usage.input_tokens_details.cached_tokens',
  'llm.token_count.prompt_details.cache_read',
  'llm.token_count.prompt_details.cache_input',
]);
const TOTAL_KEYS = aiAttributeKeys(['gen_ai.usage.total_tokens', 'llm.usage.total_tokens', 'llm.token_count.total']);

/**
 * The token counts a span reports, or null when it reports none. Counts that are not
 * non-negative whole numbers (or decimal strings of one) are ignored.
 *
 * An instrumentation that reports more cached tokens than input tokens evidently counted its
 * input without the cache reads (some providers' raw usage does): the cache reads are then
 * added to `input`, so that `cached` is always a part of `input`.
 */
export function readTokenCounts(attributes: ReadonlyAttributes, present: PresentAiKeys = EVERY_AI_KEY): TokenCounts | null {
  const input = firstCount(attributes, present, INPUT_KEYS);
  const output = firstCount(attributes, present, OUTPUT_KEYS);
  const cached = firstCount(attributes, present, CACHED_KEYS);
  const reportedTotal = firstCount(attributes, present, TOTAL_KEYS);
  if (input === null && output === null && cached === null && reportedTotal === null) return null;
  const cachedCount = cached ?? 0;
  let inputCount = input ?? 0;
  if (cachedCount > inputCount) inputCount += cachedCount;
  const outputCount = output ?? 0;
  const total = input === null && output === null && reportedTotal !== null ? reportedTotal : inputCount + outputCount;
  return { input: inputCount, output: outputCount, cached: cachedCount, total };
}

export function emptyTokenUsage(): TokenUsage {
  return { input: 0, output: 0, cached: 0, total: 0, llm_calls: 0 };
}

/** Adds one call's counts to `sum` (mutates it). */
export function addTokenCounts(sum: TokenUsage, counts: TokenCounts): void {
  sum.input += counts.input;
  sum.output += counts.output;
  sum.cached += counts.cached;
  sum.total += counts.total;
  sum.llm_calls += 1;
}

export function sameTokenUsage(a: TokenUsage | null | undefined, b: TokenUsage | null | undefined): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  return a.input === b.input && a.output === b.output && a.cached === b.cached && a.total === b.total && a.llm_calls === b.llm_calls;
}

function firstCount(attributes: ReadonlyAttributes, present: PresentAiKeys, keys: readonly AiAttributeKey[]): number | null {
  for (let i = 0; i < keys.length; i++) {
    // One lookup per key present: an absent key reads undefined, which is no count either.
    const count = toCount(readAiAttribute(attributes, present, keys[i]!));
    if (count !== null) return count;
  }
  return null;
}

function toCount(value: ReadonlyAttributeValue | undefined): number | null {
  let count: number;
  if (typeof value === 'number') count = value;
  else if (typeof value === 'bigint') count = Number(value);
  else if (typeof value === 'string' && /^\d+$/.test(value.trim())) count = Number(value.trim());
  else return null;
  return Number.isSafeInteger(count) && count >= 0 ? count : null;
}
