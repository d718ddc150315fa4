import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGoRegexp } from '../src/go-regexp.js';

/**
 * IsMatch compiles Go (RE2) regular expressions. Each expectation here was checked against Go's
 * regexp package (v1.26): what Go matches, refuses, or reads literally, we do too.
 */

const matches = (pattern: string, input: string) => compileGoRegexp(pattern).test(input);

test('Go reads differently from JavaScript: dot and \\r, \\s, multi-line anchors, literal braces', () => {
  assert.equal(matches('a.b', 'a\rb'), true); // JavaScript's . stops at \r
  assert.equal(matches('a.b', 'a\nb'), false);
  assert.equal(matches('(?s)a.b', 'a\nb'), true);
  assert.equal(matches('^\\s$', '\u00a0'), false); // Go's \s is ASCII only
  assert.equal(matches('^\\s$', '\v'), false);
  assert.equal(matches('(?m)^b$', 'a\rb'), false); // Go breaks lines only at \n
  assert.equal(matches('(?m)^b$', 'a\nb\n'), true);
  assert.equal(matches('a{,2}', 'a{,2}'), true); // not a repetition: literal
  assert.equal(matches('^a{,2}$', 'aa'), false);
  assert.equal(matches('a}', 'a}'), true);
  assert.equal(matches('a]', 'a]'), true);
  assert.equal(matches('[]a]', ']'), true);
  assert.equal(matches('\\Aa\\z', 'a'), true);
  assert.equal(matches('(?m)\\Ab', 'a\nb'), false);
});

test('Go syntax carried over: leading flags, named groups, classes, escapes', () => {
  assert.equal(matches('(?i)straße', 'STRAßE'), true);
  assert.equal(matches('^(?i)get', 'GET /'), true);
  assert.equal(matches('(?P<verb>GET) /', 'GET /'), true);
  assert.equal(matches('^[[:alpha:]]+$', 'abc'), true);
  assert.equal(matches('[[:digit:]]', 'abc'), false);
  assert.equal(matches('\\Qa.b\\E', 'a.b'), true);
  assert.equal(matches('\\Qa.b\\E', 'axb'), false);
  assert.equal(matches('\\p{Greek}', 'αβ'), true);
  assert.equal(matches('^\\pL$', 'é'), true);
  assert.equal(matches('\\x41', 'A'), true);
  assert.equal(matches('\\x{1F600}', '😀'), true);
  assert.equal(matches('\\a', '\x07'), true);
  assert.equal(matches('\\-\\/\\#', '-/#'), true);
  assert.equal(matches('^.$', '😀'), true); // one code point, as Go's one rune
});

test('what Go refuses is refused; what cannot be carried over faithfully is refused by name', () => {
  for (const [pattern, message] of [
    ['(?=a)', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['(a)\\1', /backreferences/],
    ['caf\\u00e9', /invalid escape sequence: \\u/],
    ['a{1001}', /invalid repeat count/],
    ['a(', /./],
    ['a\\', /trailing backslash/],
    ['(?U)a+', /\(\?U\)/],
    ['a(?i)b', /flags inside the expression/],
    ['[[:^alpha:]]', /negated POSIX classes/],
  ] as const) {
    assert.throws(() => compileGoRegexp(pattern), message, pattern);
  }
});
