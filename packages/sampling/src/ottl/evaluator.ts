import type { BoolExpr, CallExpr, KeyExpr, MathOp, ValueExpr } from './ast.js';
import { compareValues } from './compare.js';
import { CONVERTERS, UNSUPPORTED_CONVERTERS, valueOf, type CompiledValue } from './converters.js';
import { OttlCompileError, OttlEvaluationError } from './errors.js';
import { resolvePath, type OttlConditionContext, type OttlEvalContext } from './paths.js';
import { fromAttribute, typeName, type OttlValue } from './values.js';

/**
 * Builds an evaluator from a condition's syntax tree, the way the Collector builds its: literal
 * sub-expressions are folded when the configuration is read (`false and X` never evaluates X, so
 * never fails on it), `and`/`or` stop at the first decisive value, and an error anywhere ends the
 * evaluation of the whole condition.
 */
export type CompiledCondition = { literal: true; value: boolean } | { literal: false; evaluate: (ctx: OttlEvalContext) => boolean };

/** Enum symbols of span conditions, as ints. */
const ENUMS: Record<string, bigint> = {
  SPAN_KIND_UNSPECIFIED: 0n,
  SPAN_KIND_INTERNAL: 1n,
  SPAN_KIND_SERVER: 2n,
  SPAN_KIND_CLIENT: 3n,
  SPAN_KIND_PRODUCER: 4n,
  SPAN_KIND_CONSUMER: 5n,
  STATUS_CODE_UNSET: 0n,
  STATUS_CODE_OK: 1n,
  STATUS_CODE_ERROR: 2n,
};

export function compileCondition(expr: BoolExpr, context: OttlConditionContext): CompiledCondition {
  return new Builder(context).bool(expr);
}

class Builder {
  constructor(private readonly context: OttlConditionContext) {}

  bool(expr: BoolExpr): CompiledCondition {
    switch (expr.kind) {
      case 'constant':
        return { literal: true, value: expr.value };
      case 'not': {
        const inner = this.bool(expr.expr);
        if (inner.literal) return { literal: true, value: !inner.value };
        return { literal: false, evaluate: (ctx) => !inner.evaluate(ctx) };
      }
      case 'and':
      case 'or': {
        const isAnd = expr.kind === 'and';
        const parts: Array<(ctx: OttlEvalContext) => boolean> = [];
        for (const part of (isAnd ? (expr as { values: BoolExpr[] }).values : (expr as { terms: BoolExpr[] }).terms).map((e) => this.bool(e))) {
          if (!part.literal) parts.push(part.evaluate);
          // A literal false decides an `and` (a literal true an `or`); the other literal is dropped.
          else if (part.value !== isAnd) return { literal: true, value: !isAnd };
        }
        if (parts.length === 0) return { literal: true, value: isAnd };
        if (parts.length === 1) return { literal: false, evaluate: parts[0] };
        return isAnd
          ? { literal: false, evaluate: (ctx) => parts.every((part) => part(ctx)) }
          : { literal: false, evaluate: (ctx) => parts.some((part) => part(ctx)) };
      }
      case 'comparison': {
        const left = this.value(expr.left);
        const right = this.value(expr.right);
        const op = expr.op;
        if (left.literal && right.literal) return { literal: true, value: compareValues(left.value, right.value, op) };
        return { literal: false, evaluate: (ctx) => compareValues(valueOf(left, ctx), valueOf(right, ctx), op) };
      }
      case 'converterCondition': {
        const call = this.call(expr.call);
        return {
          literal: false,
          evaluate: (ctx) => {
            const result = valueOf(call, ctx);
            if (typeof result !== 'boolean')
              throw new OttlEvaluationError(`value returned from Converter in constant expression must be bool but got ${typeName(result)}`);
            return result;
          },
        };
      }
    }
  }

  value(expr: ValueExpr): CompiledValue {
    switch (expr.kind) {
      case 'nil':
        return { literal: true, value: null };
      case 'string':
      case 'int':
      case 'float':
      case 'bool':
      case 'bytes':
        return { literal: true, value: expr.value };
      case 'enum': {
        const value = ENUMS[expr.name];
        if (value === undefined) throw new OttlCompileError(expr.column, `enum symbol, ${expr.name}, not found`);
        return { literal: true, value };
      }
      case 'path': {
        const get = resolvePath(expr, this.context);
        return { literal: false, get };
      }
      case 'call':
        return this.call(expr);
      case 'unary': {
        const operand = this.value(expr.operand);
        // A signed number literal is itself a literal; anything else is negated when evaluated.
        if (operand.literal && (expr.operand.kind === 'int' || expr.operand.kind === 'float')) {
          const value = operand.value as bigint | number;
          return { literal: true, value: expr.op === '-' ? (typeof value === 'bigint' ? BigInt.asIntN(64, -value) : -value) : value };
        }
        if (expr.op === '+') return operand.literal ? { literal: false, get: () => operand.value } : operand;
        return { literal: false, get: (ctx) => negate(valueOf(operand, ctx)) };
      }
      case 'math': {
        const left = this.value(expr.left);
        const right = this.value(expr.right);
        const op = expr.op;
        return { literal: false, get: (ctx) => arithmetic(valueOf(left, ctx), op, valueOf(right, ctx)) };
      }
      case 'list':
      case 'map':
        throw new OttlCompileError(expr.column, `${expr.kind} literals are not supported in conditions of this collector (except as the list of Concat)`);
      case 'lambda':
        throw new OttlCompileError(expr.column, 'lambda expressions are not supported in conditions');
    }
  }

  call(expr: CallExpr): CompiledValue {
    if (expr.editor) throw new OttlCompileError(expr.column, `converter names must start with an uppercase letter but got '${expr.name}'`);
    const spec = CONVERTERS[expr.name];
    if (spec === undefined || (spec.contexts !== undefined && !spec.contexts.includes(this.context))) {
      if (UNSUPPORTED_CONVERTERS.has(expr.name)) {
        throw new OttlCompileError(expr.column, `converter ${expr.name} is not supported by this collector (supported: ${Object.keys(CONVERTERS).join(', ')})`);
      }
      throw new OttlCompileError(expr.column, `undefined function "${expr.name}"`);
    }
    const { params } = spec;
    if (expr.args.length !== params.length) {
      throw new OttlCompileError(expr.column, `incorrect number of arguments to ${expr.name}: expected ${params.length}, received ${expr.args.length}`);
    }
    // Positional first, then named (in any order); a positional after a named one is an error.
    const bound: Array<CompiledValue | CompiledValue[] | undefined> = new Array(params.length);
    let seenNamed = false;
    expr.args.forEach((arg, index) => {
      let slot = index;
      if (arg.name !== undefined) {
        seenNamed = true;
        slot = params.findIndex((param) => param.name === arg.name);
        if (slot === -1) throw new OttlCompileError(arg.column, `no such parameter: ${arg.name} (${expr.name} takes ${params.map((p) => p.name).join(', ')})`);
      } else if (seenNamed) throw new OttlCompileError(arg.column, 'unnamed argument used after named argument');
      if (bound[slot] !== undefined) throw new OttlCompileError(arg.column, `parameter ${params[slot].name} given twice`);
      const { check } = params[slot];
      const checked = (value: CompiledValue, column: number): CompiledValue => {
        if (check !== undefined && value.literal) {
          try {
            check(value.value);
          } catch (error) {
            throw new OttlCompileError(column, `invalid argument ${params[slot].name} of ${expr.name}: ${(error as Error).message}`);
          }
        }
        return value;
      };
      if (params[slot].kind === 'list') {
        if (arg.value.kind !== 'list') throw new OttlCompileError(arg.value.column, `argument ${params[slot].name} of ${expr.name} must be a list [ … ]`);
        bound[slot] = arg.value.values.map((value) => checked(this.value(value), value.column));
      } else bound[slot] = checked(this.value(arg.value), arg.value.column);
    });
    const get = spec.build(bound as Array<CompiledValue | CompiledValue[]>, expr.column);
    if (expr.keys.length === 0) return { literal: false, get };
    const keys = expr.keys;
    for (const key of keys) {
      if (key.kind === 'expression') throw new OttlCompileError(key.column, 'keys computed by an expression are not supported; write a string or integer key');
    }
    return { literal: false, get: (ctx) => indexValue(get(ctx), keys) };
  }
}

/** Indexing a converter's result: unlike a path, a missing map key is an error here. */
function indexValue(value: OttlValue, keys: KeyExpr[]): OttlValue {
  let result = value;
  for (const key of keys) {
    if (key.kind === 'string') {
      if (result === null || typeof result !== 'object' || result instanceof Uint8Array || result.kind !== 'map') {
        throw new OttlEvaluationError(`type ${typeName(result)} does not support string indexing`);
      }
      if (!Object.hasOwn(result.entries, key.value)) throw new OttlEvaluationError('key not found in map');
      result = fromAttribute(result.entries, key.value);
    } else if (key.kind === 'int') {
      if (result === null || typeof result !== 'object' || result instanceof Uint8Array || result.kind !== 'slice') {
        throw new OttlEvaluationError(`type ${typeName(result)} does not support int indexing`);
      }
      if (key.value >= BigInt(result.items.length)) throw new OttlEvaluationError(`index ${key.value} out of bounds`);
      result = fromAttribute(result.items, Number(key.value));
    }
  }
  return result;
}

function negate(value: OttlValue): OttlValue {
  if (typeof value === 'bigint') return BigInt.asIntN(64, -value);
  if (typeof value === 'number') return -value;
  throw new OttlEvaluationError(`unsupported unary minus operation on type ${typeName(value)}`);
}

/** + - * / on int64 (wrapping, truncating division), float64, and times with durations. */
function arithmetic(x: OttlValue, op: MathOp, y: OttlValue): OttlValue {
  if (typeof x === 'bigint' || typeof x === 'number') {
    if (typeof y !== 'bigint' && typeof y !== 'number') throw new OttlEvaluationError(`${typeName(y)} must be int64 or float64`);
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      switch (op) {
        case '+':
          return BigInt.asIntN(64, x + y);
        case '-':
          return BigInt.asIntN(64, x - y);
        case '*':
          return BigInt.asIntN(64, x * y);
        case '/':
          if (y === 0n) throw new OttlEvaluationError('attempted to divide by 0');
          return BigInt.asIntN(64, x / y);
      }
    }
    const a = Number(x);
    const b = Number(y);
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        if (b === 0) throw new OttlEvaluationError('attempted to divide by 0');
        return a / b;
    }
  }
  if (x !== null && typeof x === 'object' && !(x instanceof Uint8Array) && (x.kind === 'time' || x.kind === 'duration')) {
    const other = y !== null && typeof y === 'object' && !(y instanceof Uint8Array) ? y : undefined;
    if (x.kind === 'time') {
      if (op === '+' && other?.kind === 'duration') return { kind: 'time', ns: x.ns + other.ns };
      if (op === '-' && other?.kind === 'time') return { kind: 'duration', ns: x.ns - other.ns };
      if (op === '-' && other?.kind === 'duration') return { kind: 'time', ns: x.ns - other.ns };
      throw new OttlEvaluationError('only a duration may be added to a time, and a time or duration subtracted from it');
    }
    if (op === '+' && other?.kind === 'duration') return { kind: 'duration', ns: x.ns + other.ns };
    if (op === '+' && other?.kind === 'time') return { kind: 'time', ns: other.ns + x.ns };
    if (op === '-' && other?.kind === 'duration') return { kind: 'duration', ns: x.ns - other.ns };
    throw new OttlEvaluationError('only addition and subtraction are supported for durations');
  }
  throw new OttlEvaluationError(`${typeName(x)} must be int64, float64, time.Time or time.Duration`);
}
