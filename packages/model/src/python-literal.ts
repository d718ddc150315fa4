/**
 * Reads the text Python's `str()` gives for a dict or list of plain values, e.g.
 * `{'refunds': 2, 'flags': ['late'], 'ok': False, 'note': None}`, back into that value.
 *
 * The Decision Trace Python SDK's OTelExporter writes a dict or list evidence value as
 * `str(value)` (OTel attributes hold no maps), so the evidence the SDK meant is only that text.
 * The grammar read is the repr of what JSON can hold: dicts with string keys, lists and tuples,
 * str (single or double quoted, with Python's escapes), int, float, True, False, None. Anything
 * else (sets, objects, `inf`, `nan`, `...`) is not read: the caller keeps the text as given.
 */
export type PythonLiteralResult = { ok: true; value: unknown } | { ok: false };

const FAILED: PythonLiteralResult = { ok: false };

export function parsePythonLiteral(text: string): PythonLiteralResult {
  const reader = new Reader(text);
  try {
    reader.skipSpace();
    const value = reader.value(0);
    reader.skipSpace();
    if (!reader.atEnd()) return FAILED;
    return { ok: true, value };
  } catch (error) {
    if (error instanceof NotALiteral) return FAILED;
    throw error;
  }
}

class NotALiteral extends Error {}

/** Nesting deeper than this is not a repr the SDK could have written from a payload. */
const MAX_DEPTH = 64;
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  r: '\r',
  t: '\t',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new NotALiteral();
    const char = this.text[this.pos];
    if (char === '{') return this.dict(depth);
    if (char === '[') return this.sequence(']', depth);
    if (char === '(') return this.sequence(')', depth);
    if (char === "'" || char === '"') return this.string();
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    const match = NUMBER.exec(this.text.slice(this.pos));
    if (match === null) throw new NotALiteral();
    this.pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) throw new NotALiteral();
    // Python ints are exact at any size: one beyond 2^53 stays exact as a bigint (lossless).
    if (!Number.isSafeInteger(value) && /^-?\d+$/.test(match[0])) return BigInt(match[0]);
    return value;
  }

  private dict(depth: number): Record<string, unknown> {
    this.pos++;
    const result: Record<string, unknown> = {};
    this.items('}', () => {
      const quote = this.text[this.pos];
      if (quote !== "'" && quote !== '"') throw new NotALiteral();
      const key = this.string();
      this.skipSpace();
      this.expect(':');
      this.skipSpace();
      result[key] = this.value(depth + 1);
    });
    return result;
  }

  private sequence(close: string, depth: number): unknown[] {
    this.pos++;
    const result: unknown[] = [];
    this.items(close, () => result.push(this.value(depth + 1)));
    return result;
  }

  /** `item (, item)* [,] close`, the trailing comma as Python allows it (a 1-tuple has one). */
  private items(close: string, item: () => void): void {
    this.skipSpace();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      item();
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return;
      }
      this.expect(',');
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return;
      }
    }
  }

  private expect(char: string): void {
    if (this.text[this.pos] !== char) throw new NotALiteral();
    this.pos++;
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new NotALiteral();
      const char = this.text[this.pos++];
      if (char === quote) return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escape = this.text[this.pos++];
      if (escape === undefined) throw new NotALiteral();
      if (escape in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[escape];
      else if (escape === 'x') out += this.codePoint(2);
      else if (escape === 'u') out += this.codePoint(4);
      else if (escape === 'U') out += this.codePoint(8);
      else throw new NotALiteral();
    }
  }

  private codePoint(digits: number): string {
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) throw new NotALiteral();
    this.pos += digits;
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) throw new NotALiteral();
    return String.fromCodePoint(code);
  }
}
