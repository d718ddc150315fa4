/**
 * The typed syntax tree of an OTTL condition, shaped after the Collector's grammar: a boolean
 * expression is terms joined by `or`, a term is values joined by `and`, a value is an optional
 * `not` before a comparison, a constant (`true`, `false`, a converter call) or a parenthesised
 * expression. Every node knows its column for error messages.
 */

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type MathOp = '+' | '-' | '*' | '/';

export type BoolExpr =
  | { kind: 'or'; column: number; terms: BoolExpr[] }
  | { kind: 'and'; column: number; values: BoolExpr[] }
  | { kind: 'not'; column: number; expr: BoolExpr }
  | { kind: 'comparison'; column: number; left: ValueExpr; op: CompareOp; right: ValueExpr }
  | { kind: 'constant'; column: number; value: boolean }
  | { kind: 'converterCondition'; column: number; call: CallExpr };

/** `["key"]` or `[0]` after a path segment or converter call; other key expressions are kept to be refused. */
export type KeyExpr =
  { kind: 'string'; value: string; column: number } | { kind: 'int'; value: bigint; column: number } | { kind: 'expression'; column: number };

export interface PathSegment {
  name: string;
  keys: KeyExpr[];
  column: number;
}

export interface PathExpr {
  kind: 'path';
  column: number;
  /** The segments as written, a leading context name (`span`, `resource`, …) included. */
  segments: PathSegment[];
  /** Whether the grammar read the first segment as a context name (a bare name followed by a dot). */
  contextWritten: boolean;
}

export interface ArgumentExpr {
  /** For `name = value` arguments. */
  name?: string;
  value: ValueExpr;
  column: number;
}

export interface CallExpr {
  kind: 'call';
  column: number;
  name: string;
  args: ArgumentExpr[];
  keys: KeyExpr[];
  /** An editor (lower-case name) where a converter is expected: a grammar error reported on build. */
  editor: boolean;
}

export type ValueExpr =
  | { kind: 'nil'; column: number }
  | { kind: 'string'; column: number; value: string }
  | { kind: 'int'; column: number; value: bigint }
  | { kind: 'float'; column: number; value: number }
  | { kind: 'bool'; column: number; value: boolean }
  | { kind: 'bytes'; column: number; value: Uint8Array }
  | { kind: 'enum'; column: number; name: string }
  | { kind: 'list'; column: number; values: ValueExpr[] }
  | { kind: 'map'; column: number; entries: Array<{ key: string; value: ValueExpr }> }
  | { kind: 'math'; column: number; op: MathOp; left: ValueExpr; right: ValueExpr }
  | { kind: 'unary'; column: number; op: '+' | '-'; operand: ValueExpr }
  | { kind: 'lambda'; column: number }
  | PathExpr
  | CallExpr;
