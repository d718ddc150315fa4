export type { BoolExpr, ValueExpr, PathExpr, CallExpr, CompareOp } from './ast.js';
export { parseCondition } from './grammar.js';
export { OttlCondition, ottlConditionProblem } from './condition.js';
export { OttlCompileError, OttlEvaluationError, OttlSyntaxError, OttlTypeError } from './errors.js';
export { compareValues } from './compare.js';
export type { OttlConditionContext, OttlEvalContext } from './paths.js';
export type { OttlValue } from './values.js';
