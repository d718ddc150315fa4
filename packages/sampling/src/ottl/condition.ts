import { OttlCompileError, OttlSyntaxError } from './errors.js';
import { compileCondition, type CompiledCondition } from './evaluator.js';
import { parseCondition } from './grammar.js';
import type { OttlConditionContext, OttlEvalContext } from './paths.js';

/** One OTTL condition, parsed and built, ready to evaluate on spans or span events. */
export class OttlCondition {
  private readonly compiled: CompiledCondition;

  /** Throws OttlSyntaxError or OttlCompileError (both with a column) when the text is not a condition we can evaluate. */
  constructor(
    readonly text: string,
    readonly context: OttlConditionContext,
  ) {
    this.compiled = compileCondition(parseCondition(text), context);
  }

  /** Throws OttlEvaluationError when the condition cannot be evaluated on this span or event. */
  evaluate(ctx: OttlEvalContext): boolean {
    return this.compiled.literal ? this.compiled.value : this.compiled.evaluate(ctx);
  }
}

/** Why `text` is not a condition we can evaluate, with the column, or null when it is one. */
export function ottlConditionProblem(text: string, context: OttlConditionContext): string | null {
  try {
    new OttlCondition(text, context);
    return null;
  } catch (error) {
    if (error instanceof OttlSyntaxError) return `invalid OTTL condition: syntax error at column ${error.column}: ${error.detail}`;
    if (error instanceof OttlCompileError) return `invalid OTTL condition at column ${error.column}: ${error.detail}`;
    throw error;
  }
}
