import { OttlSyntaxError } from './errors.js';

/**
 * OTTL's tokens, tried in this order at each position; the first that matches wins (not the
 * longest), as in the Collector's lexer. Whitespace separates tokens and is dropped. The
 * patterns are matched against the rest of the text, so a word boundary at its start always
 * holds, as there.
 */
export type TokenKind =
  | 'Bytes'
  | 'Float'
  | 'Int'
  | 'String'
  | 'Nil'
  | 'OpNot'
  | 'OpOr'
  | 'OpAnd'
  | 'OpComparison'
  | 'LambdaArrow'
  | 'OpAddSub'
  | 'OpMultDiv'
  | 'Boolean'
  | 'Equal'
  | 'LParen'
  | 'RParen'
  | 'LBrace'
  | 'RBrace'
  | 'Colon'
  | 'Punct'
  | 'Uppercase'
  | 'Lowercase'
  | 'Underscore'
  | 'EOF';

export interface Token {
  kind: TokenKind;
  /** The text as written (a string literal with its quotes). */
  text: string;
  /** 1-based column of the first character, counted in characters (code points). */
  column: number;
  /** Offset in UTF-16 units, for snippets. */
  offset: number;
}

const RULES: Array<[TokenKind | 'whitespace', RegExp]> = [
  ['Bytes', /^0x[a-fA-F0-9]+/],
  ['Float', /^(\d+\.\d*|\d*\.\d+)([eE][-+]?\d+)?/],
  ['Int', /^\d+/],
  ['String', /^"(\\[\s\S]|[^\\"])*"/],
  ['Nil', /^nil\b/],
  ['OpNot', /^not\b/],
  ['OpOr', /^or\b/],
  ['OpAnd', /^and\b/],
  ['OpComparison', /^(==|!=|>=|<=|>|<)/],
  ['LambdaArrow', /^=>/],
  ['OpAddSub', /^[+-]/],
  ['OpMultDiv', /^[/*]/],
  ['Boolean', /^(true|false)\b/],
  ['Equal', /^=/],
  ['LParen', /^\(/],
  ['RParen', /^\)/],
  ['LBrace', /^\{/],
  ['RBrace', /^\}/],
  ['Colon', /^:/],
  ['Punct', /^[,.[\]]/],
  ['Uppercase', /^[A-Z][A-Z0-9_]*/],
  ['Lowercase', /^[a-z][a-z0-9_]*/],
  // Go's \s: ASCII whitespace only.
  ['whitespace', /^[\t\n\f\r ]+/],
  ['Underscore', /^_\b/],
];

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let column = 1;
  while (offset < text.length) {
    const rest = text.slice(offset);
    let matched: [TokenKind | 'whitespace', string] | undefined;
    for (const [kind, pattern] of RULES) {
      const match = pattern.exec(rest);
      if (match !== null && match[0].length > 0) {
        matched = [kind, match[0]];
        break;
      }
    }
    if (matched === undefined) {
      const char = String.fromCodePoint(text.codePointAt(offset)!);
      throw new OttlSyntaxError(column, `unexpected character ${JSON.stringify(char)}${char === "'" ? ' (strings are written in double quotes)' : ''}`);
    }
    const [kind, value] = matched;
    if (kind !== 'whitespace') tokens.push({ kind, text: value, column, offset });
    offset += value.length;
    column += [...value].length;
  }
  tokens.push({ kind: 'EOF', text: '', column, offset });
  return tokens;
}

/**
 * A string literal's value, with Go's escapes (`\n`, `\t`, `\\`, `\"`, `\xhh`, `\uhhhh`,
 * `\Uhhhhhhhh`, octal `\ooo`, …); any other escape is an error, as in Go's strconv.
 */
export function unquote(token: Token): string {
  const body = token.text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
    if (next in simple) {
      out += simple[next];
      continue;
    }
    const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const digits = body.slice(i + 1, i + 1 + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(digits)) throw invalidEscape(token, `\\${next}${digits}`);
      const code = parseInt(digits, 16);
      if (next === 'x') out += String.fromCharCode(code);
      else {
        if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) throw invalidEscape(token, `\\${next}${digits}`);
        out += String.fromCodePoint(code);
      }
      i += hexLength;
      continue;
    }
    if (next !== undefined && next >= '0' && next <= '7') {
      const digits = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw invalidEscape(token, `\\${digits}`);
      out += String.fromCharCode(parseInt(digits, 8));
      i += 2;
      continue;
    }
    throw invalidEscape(token, `\\${next ?? ''}`);
  }
  return out;
}

function invalidEscape(token: Token, escape: string): OttlSyntaxError {
  return new OttlSyntaxError(token.column, `invalid escape ${escape} in string ${token.text} (write a backslash as \\\\)`);
}
