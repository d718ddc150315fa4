/**
 * Go regular expressions (RE2 syntax, as the Collector's IsMatch compiles them) as JavaScript
 * RegExps with the same meaning, matched unanchored like Go's MatchString. What Go would refuse
 * (lookaround, backreferences) is refused; what JavaScript reads differently is rewritten: `.`
 * also matches `\r` in Go, `\s` is ASCII whitespace only, `\A`/`\z` anchor the text, `(?P<n>…)`
 * names a group, escaped punctuation is literal. Leading `(?i)`, `(?s)`, `(?m)` become flags;
 * anything that cannot be carried over faithfully is refused with what it was.
 */
export function compileGoRegexp(pattern: string): RegExp {
  let flags = 'u';
  let body = pattern;
  // Flags at the start — after `^` anchors too, where i and s mean the same as at the start.
  let anchors = '';
  for (;;) {
    const leading = /^(\^*)\(\?([imsU]+)\)/.exec(body);
    if (leading === null) break;
    if (leading[2].includes('U')) throw new Error('the (?U) flag (ungreedy) is not supported');
    if (leading[1] !== '' && leading[2].includes('m')) throw new Error('the (?m) flag after ^ is not supported; put it at the start');
    for (const flag of leading[2]) if (!flags.includes(flag)) flags += flag;
    anchors += leading[1];
    body = body.slice(leading[0].length);
  }
  body = anchors + body;
  const dotAll = flags.includes('s');
  // Multi-line anchors are written out: JavaScript's m flag also breaks lines at \r, Go's only at \n.
  const multiLine = flags.includes('m');
  flags = flags.replace('m', '');
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (char === '\\') {
      const next = body[i + 1];
      if (next === undefined) throw new Error('trailing backslash at end of expression');
      i++;
      if (/[1-9]/.test(next)) throw new Error(`invalid escape sequence \\${next} (Go has no backreferences)`);
      if (next === 'Q') {
        // \Q…\E: everything up to \E (or the end) is literal text.
        const end = body.indexOf('\\E', i + 1);
        const literal = end === -1 ? body.slice(i + 1) : body.slice(i + 1, end);
        out += [...literal].map(escapeLiteral).join('');
        i = end === -1 ? body.length : end + 1;
        continue;
      }
      if (next === 'A') {
        out += inClass ? fail('\\A in a character class') : '(?<![\\s\\S])';
        continue;
      }
      if (next === 'z') {
        out += inClass ? fail('\\z in a character class') : '(?![\\s\\S])';
        continue;
      }
      if (next === 'a') {
        out += '\\x07';
        continue;
      }
      if (next === 's') {
        out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
        continue;
      }
      if (next === 'S') {
        out += inClass ? fail('\\S in a character class') : '[^\\t\\n\\f\\r ]';
        continue;
      }
      if (next === 'x' && body[i + 1] === '{') {
        const close = body.indexOf('}', i);
        if (close === -1) throw new Error('invalid escape sequence \\x{');
        out += `\\u{${body.slice(i + 2, close)}}`;
        i = close;
        continue;
      }
      if (next === 'p' || next === 'P') {
        if (body[i + 1] === '{') {
          const close = body.indexOf('}', i);
          if (close === -1) throw new Error(`invalid character class range \\${next}{`);
          let name = body.slice(i + 2, close);
          let negate = next === 'P';
          if (name.startsWith('^')) {
            negate = !negate;
            name = name.slice(1);
          }
          // Go names general categories (L, Lu) and scripts (Greek) alike; JavaScript tells them apart.
          out += `\\${negate ? 'P' : 'p'}{${/^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`}}`;
          i = close;
        } else {
          out += `\\${next}{${body[i + 1] ?? ''}}`;
          i++;
        }
        continue;
      }
      // Escaped punctuation is the character itself; JavaScript's unicode mode refuses some of these escapes.
      if (/[!-/:-@[-`{-~]/.test(next)) {
        out += `\\x${next.charCodeAt(0).toString(16).padStart(2, '0')}`;
        continue;
      }
      if (!/[ftnrvdDwWbB0x]/.test(next)) throw new Error(`invalid escape sequence: \\${next}`);
      out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === '[' && body[i + 1] === ':') {
        const close = body.indexOf(':]', i + 2);
        const name = close === -1 ? '' : body.slice(i + 2, close);
        const ascii = POSIX_CLASSES[name];
        if (ascii === undefined) {
          if (name.startsWith('^') && POSIX_CLASSES[name.slice(1)] !== undefined) throw new Error(`negated POSIX classes ([[:${name}:]]) are not supported`);
          throw new Error(`invalid character class range ${body.slice(i, close === -1 ? i + 8 : close + 2)}`);
        }
        out += ascii;
        i = close + 1;
        continue;
      }
      if (char === ']') inClass = false;
      out += char === '[' ? '\\[' : char;
      continue;
    }
    if (char === '[') {
      inClass = true;
      out += char;
      // A `]` right after `[` or `[^` is a literal in Go.
      if (body[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (body[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (char === '(' && body[i + 1] === '?') {
      const rest = body.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith(':') || (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!'))) {
        out += char;
        continue;
      }
      if (/^[=!]|^<[=!]/.test(rest)) throw new Error('lookaround assertions are not supported by Go regular expressions');
      throw new Error(`flags inside the expression (${body.slice(i, i + 6)}…) are not supported; put them at its start`);
    }
    if (multiLine && (char === '^' || char === '$')) {
      out += char === '^' ? '(?<=^|\\n)' : '(?=\\n|$)';
      continue;
    }
    if (char === '.' && !dotAll) {
      out += '[^\\n]';
      continue;
    }
    if (char === '{') {
      // A repetition only when it is one (`{2}`, `{2,}`, `{2,5}`); otherwise a literal brace, as in Go.
      const repeat = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(i));
      if (repeat === null) {
        out += '\\{';
        continue;
      }
      if (Number(repeat[1]) > 1000 || (repeat[3] !== undefined && repeat[3] !== '' && Number(repeat[3]) > 1000)) {
        throw new Error(`invalid repeat count: ${repeat[0]}`);
      }
      out += repeat[0];
      i += repeat[0].length - 1;
      continue;
    }
    if (char === '}' || char === ']') {
      out += `\\${char}`;
      continue;
    }
    out += char;
  }
  try {
    return new RegExp(out, flags);
  } catch (error) {
    throw new Error((error as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

/** Go's ASCII classes ([[:alpha:]]), as the contents of a JavaScript class. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function escapeLiteral(char: string): string {
  return /[!-/:-@[-`{-~]/.test(char) ? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}` : char;
}

function fail(what: string): never {
  throw new Error(`${what} is not supported`);
}
