import type { ReadonlyAttributes } from './readonly-otlp-types.js';
import { toText } from './attribute-values.js';
import { aiAttributeKey, aiAttributeKeys, EVERY_AI_KEY, readAiAttribute, type AiAttributeKey, type PresentAiKeys } from './ai-attribute-keys.js';

/**
 * The kind of a context span, read from the AI conventions users already emit (docs/architecture.md §2 E).
 *
 * Precedence, first match wins; a value a step does not know falls through to the next step:
 * 1. OpenInference `openinference.span.kind`: the instrumentation states the kind itself.
 *    LLM, AGENT, TOOL, CHAIN, RETRIEVER, EMBEDDING as they are; RERANKER → RETRIEVER;
 *    GUARDRAIL, EVALUATOR, PROMPT → FUNCTION (an application step of its own).
 * 2. OTel GenAI `gen_ai.operation.name`: chat, text_completion, generate_content → LLM;
 *    embeddings → EMBEDDING; execute_tool → TOOL; invoke_agent, create_agent → AGENT.
 * 3. Traceloop `traceloop.span.kind` (its decorators): workflow → CHAIN, task → FUNCTION,
 *    agent → AGENT, tool → TOOL.
 * 4. OpenLLMetry's `llm.request.type` on model calls: chat, completion → LLM;
 *    embedding → EMBEDDING; rerank → RETRIEVER.
 * 5. Names alone: `gen_ai.tool.name` → TOOL; else `gen_ai.agent.name` → AGENT; else a model
 *    name (`gen_ai.request.model`, `gen_ai.response.model`, `llm.model_name`) → LLM.
 * Anything else has no kind (an ordinary span: HTTP, database, application code).
 *
 * Explicit kind attributes outrank the operation name because they exist for exactly this
 * purpose; the operation name (the OTel standard) outranks Traceloop's coarser decorator kind.
 */
export const CONTEXT_SPAN_KINDS = ['LLM', 'AGENT', 'TOOL', 'CHAIN', 'RETRIEVER', 'EMBEDDING', 'FUNCTION'] as const;
export type ContextSpanKind = (typeof CONTEXT_SPAN_KINDS)[number];

/** Which attribute decided the kind (step of the precedence above). */
export type SpanKindSource = 'openinference' | 'gen_ai' | 'traceloop' | 'llm.request.type' | 'names';

export interface ClassifiedSpanKind {
  kind: ContextSpanKind;
  source: SpanKindSource;
}

type KindTable = ReadonlyMap<string, ClassifiedSpanKind>;

/** Shared result objects: classifying a span allocates nothing. */
function table(source: SpanKindSource, entries: Record<string, ContextSpanKind>): KindTable {
  return new Map(Object.entries(entries).map(([value, kind]) => [value, Object.freeze({ kind, source })]));
}

const OPENINFERENCE = table('openinference', {
  LLM: 'LLM',
  AGENT: 'AGENT',
  TOOL: 'TOOL',
  CHAIN: 'CHAIN',
  RETRIEVER: 'RETRIEVER',
  EMBEDDING: 'EMBEDDING',
  RERANKER: 'RETRIEVER',
  GUARDRAIL: 'FUNCTION',
  EVALUATOR: 'FUNCTION',
  PROMPT: 'FUNCTION',
});
const GEN_AI_OPERATIONS = table('gen_ai', {
  chat: 'LLM',
  text_completion: 'LLM',
  generate_content: 'LLM',
  embeddings: 'EMBEDDING',
  execute_tool: 'TOOL',
  invoke_agent: 'AGENT',
  create_agent: 'AGENT',
});
const TRACELOOP = table('traceloop', { workflow: 'CHAIN', task: 'FUNCTION', agent: 'AGENT', tool: 'TOOL' });
const LLM_REQUEST_TYPES = table('llm.request.type', { chat: 'LLM', completion: 'LLM', embedding: 'EMBEDDING', rerank: 'RETRIEVER' });
const BY_NAME = table('names', { tool: 'TOOL', agent: 'AGENT', model: 'LLM' });

const OPENINFERENCE_KIND = aiAttributeKey('openinference.span.kind');
const GEN_AI_OPERATION = aiAttributeKey('gen_ai.operation.name');
const TRACELOOP_KIND = aiAttributeKey('traceloop.span.kind');
const LLM_REQUEST_TYPE = aiAttributeKey('llm.request.type');
const GEN_AI_TOOL_NAME = aiAttributeKey('gen_ai.tool.name');
const GEN_AI_AGENT_NAME = aiAttributeKey('gen_ai.agent.name');
const MODEL_NAME_KEYS = aiAttributeKeys(['gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name']);

/** `present`: which keys the attributes hold (ai-attribute-keys.ts), when the caller scanned them. */
export function classifySpanKind(attributes: ReadonlyAttributes, present: PresentAiKeys = EVERY_AI_KEY): ClassifiedSpanKind | null {
  return (
    lookup(attributes, present, OPENINFERENCE_KIND, OPENINFERENCE, true) ??
    lookup(attributes, present, GEN_AI_OPERATION, GEN_AI_OPERATIONS, false) ??
    lookup(attributes, present, TRACELOOP_KIND, TRACELOOP, false) ??
    lookup(attributes, present, LLM_REQUEST_TYPE, LLM_REQUEST_TYPES, false) ??
    byName(attributes, present)
  );
}

function lookup(attributes: ReadonlyAttributes, present: PresentAiKeys, key: AiAttributeKey, kinds: KindTable, upperCase: boolean): ClassifiedSpanKind | null {
  const value = readAiAttribute(attributes, present, key);
  if (typeof value !== 'string') return null;
  const normalized = upperCase ? value.trim().toUpperCase() : value.trim().toLowerCase();
  return kinds.get(normalized) ?? null;
}

function byName(attributes: ReadonlyAttributes, present: PresentAiKeys): ClassifiedSpanKind | null {
  if (hasText(attributes, present, GEN_AI_TOOL_NAME)) return BY_NAME.get('tool')!;
  if (hasText(attributes, present, GEN_AI_AGENT_NAME)) return BY_NAME.get('agent')!;
  for (const key of MODEL_NAME_KEYS) if (hasText(attributes, present, key)) return BY_NAME.get('model')!;
  return null;
}

function hasText(attributes: ReadonlyAttributes, present: PresentAiKeys, key: AiAttributeKey): boolean {
  return toText(readAiAttribute(attributes, present, key)) !== null;
}
