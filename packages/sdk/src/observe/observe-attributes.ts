import type { Attributes } from '@opentelemetry/api';

/**
 * Span attributes of observed functions, in conventions the collector already types context
 * spans by (docs/architecture.md §2 E): OpenInference's span kind, tags, metadata, user and session ids and
 * input/output values; OTel GenAI's operation and tool/agent names.
 */
export type ObservedKind = 'LLM' | 'TOOL' | 'CHAIN' | 'AGENT' | 'FUNCTION' | 'RETRIEVER' | 'EMBEDDING';

export const OPENINFERENCE_SPAN_KIND = 'openinference.span.kind';
export const TAGS = 'tag.tags';
export const METADATA = 'metadata';
export const USER_ID = 'user.id';
export const SESSION_ID = 'session.id';
export const APP_VERSION = 'app.version';
export const INPUT_VALUE = 'input.value';
export const INPUT_MIME_TYPE = 'input.mime_type';
export const OUTPUT_VALUE = 'output.value';
export const OUTPUT_MIME_TYPE = 'output.mime_type';
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const GEN_AI_AGENT_NAME = 'gen_ai.agent.name';

/** FUNCTION is ours (plain code); OpenInference has no such kind, so it is not written there. */
export function kindAttributes(kind: ObservedKind, name: string, into: Attributes): void {
  if (kind !== 'FUNCTION') into[OPENINFERENCE_SPAN_KIND] = kind;
  if (kind === 'TOOL') {
    into[GEN_AI_OPERATION_NAME] = 'execute_tool';
    into[GEN_AI_TOOL_NAME] = name;
  } else if (kind === 'AGENT') {
    into[GEN_AI_OPERATION_NAME] = 'invoke_agent';
    into[GEN_AI_AGENT_NAME] = name;
  }
}
