import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePythonLiteral } from '../src/python-literal.js';

test("Python's str() of a dict or list of plain values reads back as that value", () => {
  // What str() printed in Python 3.11 for these values.
  const cases: Array<[string, unknown]> = [
    [
      "{'refunds': 2, 'last': '2026-11-02', 'flags': ['late', 'bulk'], 'ok': False, 'note': None}",
      { refunds: 2, last: '2026-11-02', flags: ['late', 'bulk'], ok: false, note: null },
    ],
    ["['repeat', 'eu']", ['repeat', 'eu']],
    ['[]', []],
    ['{}', {}],
    ["{'nested': {'a': [1, 2.5, -3, 1e+16, 1.5e-07]}, 't': (1,), 'u': ('x', True)}", { nested: { a: [1, 2.5, -3, 1e16, 1.5e-7] }, t: [1], u: ['x', true] }],
    [`{"it's": "quote's", 'say': 'he said "hi"', 'both': 'it\\'s "x"'}`, { "it's": "quote's", say: 'he said "hi"', both: `it's "x"` }],
    ["{'esc': 'a\\nb\\tc\\\\d\\x00\\x7f\\u20ac\\U0001f600', 'uni': 'café €'}", { esc: 'a\nb\tc\\d\x00\x7f€😀', uni: 'café €' }],
  ];
  for (const [text, value] of cases) assert.deepEqual(parsePythonLiteral(text), { ok: true, value }, text);
});

test('text that is not such a repr is not read', () => {
  for (const text of [
    "{'a': 1",
    "{1: 'int key'}",
    "{'s': {1, 2}}",
    '[inf]',
    '[nan]',
    "['a' 'b']",
    "{'a': 1} trailing",
    '[<object at 0x7f>]',
    "['unterminated]",
    "['bad escape \\q']",
    '[' + '['.repeat(100) + ']'.repeat(101),
  ]) {
    assert.deepEqual(parsePythonLiteral(text), { ok: false }, text);
  }
});
