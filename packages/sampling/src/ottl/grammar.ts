import type { ArgumentExpr, BoolExpr, CallExpr, CompareOp, KeyExpr, MathOp, PathExpr, PathSegment, ValueExpr } from './ast.js';
import { OttlSyntaxError } from './errors.js';
import { tokenize, unquote, type Token, type TokenKind } from './lexer.js';

/**
 * Parses one OTTL condition into its syntax tree. The grammar is the Collector's, read as a PEG
 * (ordered choice, the first alternative that matches wins, with unlimited lookahead), which is
 * how its parser reads it. A condition that does not parse is reported at the furthest column
 * the parser got to, with what it expected there.
 */
export function parseCondition(text: string): BoolExpr {
  return new ConditionParser(text).parse();
}

const MAX_INT64 = (1n << 63n) - 1n;

const EXPECTED_NAMES: Partial<Record<TokenKind, string>> = {
  OpComparison: 'a comparison operator (== != < <= > >=)',
  OpAnd: '"and"',
  OpOr: '"or"',
  RParen: '")"',
  LParen: '"("',
  EOF: 'the end of the condition',
  Lowercase: 'a path',
  String: 'a string',
  Int: 'an integer',
};

class ConditionParser {
  private readonly tokens: Token[];
  private pos = 0;
  private furthest = 0;
  private readonly expected = new Set<string>();

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): BoolExpr {
    const expr = this.booleanExpression();
    if (expr !== null && this.peek().kind === 'EOF') return expr;
    if (expr !== null) this.expect('"and", "or" or the end of the condition');
    throw this.syntaxError();
  }

  // ---- boolean layer -------------------------------------------------------------------------

  private booleanExpression(): BoolExpr | null {
    const first = this.term();
    if (first === null) return null;
    const terms = [first];
    while (this.peek().kind === 'OpOr') {
      const save = this.pos;
      this.pos++;
      const next = this.term();
      if (next === null) {
        this.pos = save;
        break;
      }
      terms.push(next);
    }
    this.expect('"or"');
    return terms.length === 1 ? first : { kind: 'or', column: first.column, terms };
  }

  private term(): BoolExpr | null {
    const first = this.booleanValue();
    if (first === null) return null;
    const values = [first];
    while (this.peek().kind === 'OpAnd') {
      const save = this.pos;
      this.pos++;
      const next = this.booleanValue();
      if (next === null) {
        this.pos = save;
        break;
      }
      values.push(next);
    }
    this.expect('"and"');
    return values.length === 1 ? first : { kind: 'and', column: first.column, values };
  }

  private booleanValue(): BoolExpr | null {
    const start = this.pos;
    const negated = this.peek().kind === 'OpNot';
    if (negated) this.pos++;
    const inner = this.comparison() ?? this.constExpr() ?? this.subExpression();
    if (inner === null) {
      this.pos = start;
      return null;
    }
    return negated ? { kind: 'not', column: this.tokens[start].column, expr: inner } : inner;
  }

  private comparison(): BoolExpr | null {
    const start = this.pos;
    const left = this.value();
    if (left === null) return null;
    const op = this.peek();
    if (op.kind !== 'OpComparison') {
      this.expect(EXPECTED_NAMES.OpComparison!);
      this.pos = start;
      return null;
    }
    this.pos++;
    const right = this.value();
    if (right === null) {
      this.pos = start;
      return null;
    }
    return { kind: 'comparison', column: left.column, left, op: op.text as CompareOp, right };
  }

  private constExpr(): BoolExpr | null {
    const token = this.peek();
    if (token.kind === 'Boolean') {
      this.pos++;
      return { kind: 'constant', column: token.column, value: token.text === 'true' };
    }
    const call = this.converter();
    return call === null ? null : { kind: 'converterCondition', column: call.column, call };
  }

  private subExpression(): BoolExpr | null {
    const start = this.pos;
    if (!this.accept('LParen', '"("')) return null;
    const inner = this.booleanExpression();
    if (inner === null || !this.accept('RParen', '")"')) {
      this.pos = start;
      return null;
    }
    return inner;
  }

  // ---- values --------------------------------------------------------------------------------

  private value(): ValueExpr | null {
    const token = this.peek();
    if (token.kind === 'Nil') {
      this.pos++;
      return { kind: 'nil', column: token.column };
    }
    const start = this.pos;
    const literal = this.mathExprLiteral();
    if (literal !== null) {
      const next = this.peek().kind;
      if (next !== 'OpAddSub' && next !== 'OpMultDiv') return literal;
      this.pos = start;
    }
    const lambda = this.lambda();
    if (lambda !== null) return lambda;
    const math = this.mathExpression();
    if (math !== null) return math;
    switch (token.kind) {
      case 'Bytes': {
        this.pos++;
        const digits = token.text.slice(2);
        if (digits.length % 2 !== 0)
          throw new OttlSyntaxError(token.column, `byte literals must have an even number of hexadecimal digits, but got ${token.text}`);
        return { kind: 'bytes', column: token.column, value: Uint8Array.from(digits.match(/../g)!.map((pair) => parseInt(pair, 16))) };
      }
      case 'String':
        this.pos++;
        return { kind: 'string', column: token.column, value: unquote(token) };
      case 'Boolean':
        this.pos++;
        return { kind: 'bool', column: token.column, value: token.text === 'true' };
      case 'Uppercase':
        if (this.tokens[this.pos + 1].kind !== 'Lowercase') {
          this.pos++;
          return { kind: 'enum', column: token.column, name: token.text };
        }
        break;
      case 'LBrace':
        return this.mapValue();
      case 'Punct':
        if (token.text === '[') return this.list();
        break;
    }
    this.expect('a value (a path, literal, converter call or expression)');
    return null;
  }

  /** A converter call, a path, or a number: what may stand on its own or inside arithmetic. */
  private mathExprLiteral(): ValueExpr | null {
    const editor = this.call('Lowercase');
    if (editor !== null) return editor;
    const converter = this.converter();
    if (converter !== null) return converter;
    const token = this.peek();
    if (token.kind === 'Float') {
      this.pos++;
      return { kind: 'float', column: token.column, value: Number(token.text) };
    }
    if (token.kind === 'Int') {
      this.pos++;
      const value = BigInt(token.text);
      if (value > MAX_INT64) throw new OttlSyntaxError(token.column, `integer ${token.text} is out of range for a 64-bit integer`);
      return { kind: 'int', column: token.column, value };
    }
    return this.path();
  }

  private converter(): CallExpr | null {
    return this.call('Uppercase');
  }

  /** `Name(args)keys`: a converter (upper-case name) or, mistakenly, an editor (lower-case). */
  private call(first: 'Uppercase' | 'Lowercase'): CallExpr | null {
    const start = this.pos;
    const head = this.peek();
    if (head.kind !== first) return null;
    let name = head.text;
    this.pos++;
    while (this.continuesName()) name += this.tokens[this.pos++].text;
    if (!this.accept('LParen', '"("')) {
      this.pos = start;
      return null;
    }
    const args: ArgumentExpr[] = [];
    if (this.peek().kind !== 'RParen') {
      for (;;) {
        const arg = this.argument();
        if (arg === null) {
          this.pos = start;
          return null;
        }
        args.push(arg);
        if (this.peek().kind === 'Punct' && this.peek().text === ',') {
          this.pos++;
          continue;
        }
        break;
      }
    }
    if (!this.accept('RParen', '")" or ","')) {
      this.pos = start;
      return null;
    }
    const keys = this.keys();
    if (keys === null) {
      this.pos = start;
      return null;
    }
    return { kind: 'call', column: head.column, name, args, keys, editor: first === 'Lowercase' };
  }

  private argument(): ArgumentExpr | null {
    const start = this.pos;
    const column = this.peek().column;
    let name: string | undefined;
    if (this.peek().kind === 'Lowercase') {
      let candidate = this.tokens[this.pos++].text;
      while (this.continuesName()) candidate += this.tokens[this.pos++].text;
      if (this.peek().kind === 'Equal') {
        this.pos++;
        name = candidate;
      } else this.pos = start;
    }
    const value = this.value();
    if (value !== null) return { name, value, column };
    // A bare function name (for arguments that take a function).
    if (this.peek().kind === 'Uppercase') {
      const head = this.peek();
      let fn = head.text;
      this.pos++;
      while (this.continuesName()) fn += this.tokens[this.pos++].text;
      return { name, value: { kind: 'call', column: head.column, name: fn, args: [], keys: [], editor: false }, column };
    }
    this.pos = start;
    return null;
  }

  private path(): PathExpr | null {
    const start = this.pos;
    const head = this.peek();
    if (head.kind !== 'Lowercase') return null;
    // `(Lowercase '.')?`: a context name is a bare name followed by a dot.
    let contextWritten = false;
    const segments: PathSegment[] = [];
    if (this.tokens[this.pos + 1].kind === 'Punct' && this.tokens[this.pos + 1].text === '.' && this.tokens[this.pos + 2].kind !== 'Lowercase') {
      this.pos += 2;
      this.expect('a path segment');
      this.pos -= 2;
    }
    if (this.tokens[this.pos + 1].kind === 'Punct' && this.tokens[this.pos + 1].text === '.' && this.tokens[this.pos + 2].kind === 'Lowercase') {
      contextWritten = true;
      segments.push({ name: head.text, keys: [], column: head.column });
      this.pos += 2;
    }
    for (;;) {
      const field = this.peek();
      if (field.kind !== 'Lowercase') {
        this.expect('a path segment');
        this.pos = start;
        return null;
      }
      this.pos++;
      const keys = this.keys();
      if (keys === null) {
        this.pos = start;
        return null;
      }
      segments.push({ name: field.text, keys, column: field.column });
      if (this.peek().kind === 'Punct' && this.peek().text === '.') {
        this.pos++;
        if (this.peek().kind === 'Lowercase') continue;
        this.expect('a path segment');
        this.pos--;
      }
      return { kind: 'path', column: head.column, segments, contextWritten };
    }
  }

  private keys(): KeyExpr[] | null {
    const keys: KeyExpr[] = [];
    while (this.peek().kind === 'Punct' && this.peek().text === '[') {
      const open = this.tokens[this.pos++];
      const token = this.peek();
      let key: KeyExpr | null = null;
      if (token.kind === 'String') {
        this.pos++;
        key = { kind: 'string', value: unquote(token), column: token.column };
      } else if (token.kind === 'Int' && this.tokens[this.pos + 1].text === ']') {
        this.pos++;
        key = { kind: 'int', value: BigInt(token.text), column: token.column };
      } else if (this.mathExpression() !== null) {
        key = { kind: 'expression', column: token.column };
      } else this.expect('a string or integer key');
      if (key === null || !(this.peek().kind === 'Punct' && this.peek().text === ']')) {
        this.expect('"]"');
        this.pos = open === undefined ? this.pos : this.tokens.indexOf(open);
        return null;
      }
      this.pos++;
      keys.push(key);
    }
    return keys;
  }

  /** `(a, b) => …`: recognised only to be refused (OTTL allows lambdas only as some editors' arguments). */
  private lambda(): ValueExpr | null {
    const start = this.pos;
    if (this.peek().kind !== 'LParen') return null;
    this.pos++;
    while (this.peek().kind === 'Lowercase' || this.peek().kind === 'Underscore' || (this.peek().kind === 'Punct' && this.peek().text === ',')) this.pos++;
    if (this.peek().kind === 'RParen' && this.tokens[this.pos + 1].kind === 'LambdaArrow') {
      const column = this.tokens[start].column;
      throw new OttlSyntaxError(column, 'lambda expressions are not supported in conditions');
    }
    this.pos = start;
    return null;
  }

  private list(): ValueExpr | null {
    const start = this.pos;
    const open = this.tokens[this.pos++];
    const values: ValueExpr[] = [];
    if (!(this.peek().kind === 'Punct' && this.peek().text === ']')) {
      for (;;) {
        const value = this.value();
        if (value === null) {
          this.pos = start;
          return null;
        }
        values.push(value);
        if (this.peek().kind === 'Punct' && this.peek().text === ',') {
          this.pos++;
          continue;
        }
        break;
      }
    }
    if (!(this.peek().kind === 'Punct' && this.peek().text === ']')) {
      this.expect('"]" or ","');
      this.pos = start;
      return null;
    }
    this.pos++;
    return { kind: 'list', column: open.column, values };
  }

  private mapValue(): ValueExpr | null {
    const start = this.pos;
    const open = this.tokens[this.pos++];
    const entries: Array<{ key: string; value: ValueExpr }> = [];
    while (this.peek().kind === 'String') {
      const key = unquote(this.tokens[this.pos++]);
      if (!this.accept('Colon', '":"')) {
        this.pos = start;
        return null;
      }
      const value = this.value();
      if (value === null) {
        this.pos = start;
        return null;
      }
      entries.push({ key, value });
      if (this.peek().kind === 'Punct' && this.peek().text === ',') this.pos++;
    }
    if (!this.accept('RBrace', '"}"')) {
      this.pos = start;
      return null;
    }
    return { kind: 'map', column: open.column, entries };
  }

  // ---- arithmetic ----------------------------------------------------------------------------

  private mathExpression(): ValueExpr | null {
    let left = this.addSubTerm();
    if (left === null) return null;
    while (this.peek().kind === 'OpAddSub') {
      const save = this.pos;
      const op = this.tokens[this.pos++].text as MathOp;
      const right = this.addSubTerm();
      if (right === null) {
        this.pos = save;
        break;
      }
      left = { kind: 'math', column: left.column, op, left, right };
    }
    return left;
  }

  private addSubTerm(): ValueExpr | null {
    let left = this.mathValue();
    if (left === null) return null;
    while (this.peek().kind === 'OpMultDiv') {
      const save = this.pos;
      const op = this.tokens[this.pos++].text as MathOp;
      const right = this.mathValue();
      if (right === null) {
        this.pos = save;
        break;
      }
      left = { kind: 'math', column: left.column, op, left, right };
    }
    return left;
  }

  private mathValue(): ValueExpr | null {
    const start = this.pos;
    const sign = this.peek().kind === 'OpAddSub' ? this.tokens[this.pos++] : undefined;
    let operand = this.mathExprLiteral();
    if (operand === null && this.peek().kind === 'LParen') {
      this.pos++;
      const inner = this.mathExpression();
      if (inner !== null && this.accept('RParen', '")"')) operand = inner;
      else operand = null;
    }
    if (operand === null) {
      this.expect('a value (a path, literal, converter call or expression)');
      this.pos = start;
      return null;
    }
    if (sign === undefined) return operand;
    return { kind: 'unary', column: sign.column, op: sign.text as '+' | '-', operand };
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The next token continues a function name (`IsMatch` lexes as I·s·M·atch; like the Collector, whitespace between the parts is allowed). */
  private continuesName(): boolean {
    const next = this.peek();
    return next.kind === 'Uppercase' || next.kind === 'Lowercase';
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private accept(kind: TokenKind, description: string): boolean {
    if (this.peek().kind === kind) {
      this.pos++;
      return true;
    }
    this.expect(description);
    return false;
  }

  /** Notes that `description` would have been accepted at the current token. */
  private expect(description: string): void {
    if (this.pos > this.furthest) {
      this.furthest = this.pos;
      this.expected.clear();
    }
    if (this.pos === this.furthest) this.expected.add(description);
  }

  private syntaxError(): OttlSyntaxError {
    const token = this.tokens[this.furthest];
    const found =
      token.kind === 'EOF' ? 'unexpected end of condition' : `unexpected "${token.text}" near \`${this.text.slice(token.offset, token.offset + 10).trim()}\``;
    const expected = [...this.expected];
    const what = expected.length === 0 ? '' : `: expected ${expected.slice(0, 4).join(', or ')}`;
    return new OttlSyntaxError(token.column, `${found}${what}`);
  }
}
