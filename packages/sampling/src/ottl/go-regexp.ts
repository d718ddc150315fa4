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
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const char = body[i];
    if (char === '\\') {
      const next = body[i + 1];
      if (next === undefined) throw new Error('trailing backslash at end of expression');
      i++;
      if (/[1-9]/.test(next)) throw new Error(`invalid escape sequence \\${next} (Go has no backreferences)`);
      if (next === 'Q') throw new Error('\\Q…\\E quoting is not supported');
      if (next === 'A') {
        out += inClass ? fail('\\A in a character class') : '(?<![\\s\\S])';
        continue;
      }
      if (next === 'z') {
        out += inClass ? fail('\\z in a character class') : '(?![\\s\\S])';
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
          out += `\\${next}{${body.slice(i + 2, close)}}`;
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
      out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === '[' && body[i + 1] === ':') throw new Error('POSIX character classes ([[:alpha:]]) are not supported');
      if (char === ']') inClass = false;
      out += char;
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
    if (char === '.' && !dotAll) {
      out += '[^\\n]';
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

function fail(what: string): never {
  throw new Error(`${what} is not supported`);
}
