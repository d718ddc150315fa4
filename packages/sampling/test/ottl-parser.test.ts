import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OttlCompileError, OttlSyntaxError } from '../src/ottl/errors.js';
import { parseCondition } from '../src/ottl/grammar.js';
import { OttlCondition, ottlConditionProblem } from '../src/ottl/condition.js';

/** Parser of OTTL conditions (#15 item 4): the typed tree, precedence, and errors at the column. */

function syntaxError(text: string): OttlSyntaxError {
  try {
    parseCondition(text);
  } catch (error) {
    assert.ok(error instanceof OttlSyntaxError, `${text}: ${error}`);
    return error;
  }
  assert.fail(`${text} parsed`);
}

function compileError(text: string, context: 'span' | 'spanevent' = 'span'): OttlCompileError {
  try {
    new OttlCondition(text, context);
  } catch (error) {
    assert.ok(error instanceof OttlCompileError, `${text}: ${error}`);
    return error;
  }
  assert.fail(`${text} compiled`);
}

test('a comparison of a path with a string: typed nodes with their columns', () => {
  assert.deepEqual(parseCondition('attributes["http.method"] == "GET"'), {
    kind: 'comparison',
    column: 1,
    op: '==',
    left: {
      kind: 'path',
      column: 1,
      contextWritten: false,
      segments: [{ name: 'attributes', column: 1, keys: [{ kind: 'string', value: 'http.method', column: 12 }] }],
    },
    right: { kind: 'string', column: 30, value: 'GET' },
  });
});

test('a context name is a bare first segment followed by a dot; keys nest', () => {
  const tree = parseCondition('resource.attributes["a"]["b"][0] != nil');
  assert.equal(tree.kind, 'comparison');
  if (tree.kind !== 'comparison' || tree.left.kind !== 'path') return assert.fail();
  assert.equal(tree.left.contextWritten, true);
  assert.deepEqual(
    tree.left.segments.map((s) => [s.name, s.keys.map((k) => (k.kind === 'expression' ? '?' : k.value))]),
    [
      ['resource', []],
      ['attributes', ['a', 'b', 0n]],
    ],
  );
  assert.deepEqual(tree.right, { kind: 'nil', column: 37 });
});

test('precedence: not binds to one value, and before or; parentheses group', () => {
  const tree = parseCondition('not name == "a" or kind == 1 and IsRootSpan()');
  assert.equal(tree.kind, 'or');
  if (tree.kind !== 'or') return;
  assert.equal(tree.terms[0].kind, 'not');
  assert.equal(tree.terms[1].kind, 'and');
  const grouped = parseCondition('(name == "a" or kind == 1) and true');
  assert.equal(grouped.kind, 'and');
  if (grouped.kind !== 'and') return;
  assert.equal(grouped.values[0].kind, 'or');
  assert.deepEqual(grouped.values[1], { kind: 'constant', column: 32, value: true });
});

test('literals: ints, floats, negative numbers, bools, nil, bytes, enums, escaped strings', () => {
  const right = (text: string) => {
    const tree = parseCondition(`x == ${text}`);
    assert.equal(tree.kind, 'comparison');
    return tree.kind === 'comparison' ? tree.right : undefined;
  };
  assert.deepEqual(right('42'), { kind: 'int', column: 6, value: 42n });
  assert.deepEqual(right('4.5e2'), { kind: 'float', column: 6, value: 450 });
  assert.deepEqual(right('.5'), { kind: 'float', column: 6, value: 0.5 });
  assert.deepEqual(right('-3'), { kind: 'unary', column: 6, op: '-', operand: { kind: 'int', column: 7, value: 3n } });
  assert.deepEqual(right('false'), { kind: 'bool', column: 6, value: false });
  assert.deepEqual(right('0x0aFF'), { kind: 'bytes', column: 6, value: Uint8Array.from([0x0a, 0xff]) });
  assert.deepEqual(right('SPAN_KIND_SERVER'), { kind: 'enum', column: 6, name: 'SPAN_KIND_SERVER' });
  assert.deepEqual(right('"a\\"b\\\\c\\n\\u00e9"'), { kind: 'string', column: 6, value: 'a"b\\c\né' });
});

test('arithmetic: * and / before + and -, left to right', () => {
  const tree = parseCondition('end_time_unix_nano - start_time_unix_nano > 2 * 1000 + 1');
  if (tree.kind !== 'comparison') return assert.fail();
  assert.equal(tree.left.kind, 'math');
  assert.equal(tree.right.kind === 'math' && tree.right.op, '+');
  assert.equal(tree.right.kind === 'math' && tree.right.left.kind === 'math' && tree.right.left.op, '*');
});

test('converters: name, positional and named arguments, keys on the result; a converter alone is a condition', () => {
  const tree = parseCondition('IsMatch(target = name, pattern = "^GET ")');
  assert.equal(tree.kind, 'converterCondition');
  if (tree.kind !== 'converterCondition') return;
  assert.equal(tree.call.name, 'IsMatch');
  assert.deepEqual(
    tree.call.args.map((a) => a.name),
    ['target', 'pattern'],
  );
  const indexed = parseCondition('Concat(["a", name], "-")["x"] == nil');
  if (indexed.kind !== 'comparison' || indexed.left.kind !== 'call') return assert.fail();
  assert.equal(indexed.left.args[0].value.kind, 'list');
  assert.deepEqual(indexed.left.keys, [{ kind: 'string', value: 'x', column: 26 }]);
});

test('syntax errors name the column and what was expected there', () => {
  let error = syntaxError('attributes["a"] == ');
  assert.equal(error.column, 20);
  assert.match(error.message, /column 20: unexpected end of condition: expected a value/);

  error = syntaxError('name = "x"');
  assert.equal(error.column, 6);
  assert.match(error.message, /unexpected "=" near `= "x"`.*comparison operator/);

  error = syntaxError('(name == "x"');
  assert.equal(error.column, 13);
  assert.match(error.message, /expected .*"\)"/);

  error = syntaxError('name == "x" and');
  assert.equal(error.column, 16);

  error = syntaxError('name == "x" foo');
  assert.equal(error.column, 13);
  assert.match(error.message, /unexpected "foo"/);

  // Characters OTTL has no token for; single quotes are the common slip.
  error = syntaxError("name == 'x'");
  assert.equal(error.column, 9);
  assert.match(error.message, /double quotes/);

  // Columns count characters, not bytes or UTF-16 units.
  error = syntaxError('name == "é😀" or');
  assert.equal(error.column, 16);

  error = syntaxError('x == 0xabc');
  assert.match(error.message, /even number of hexadecimal digits/);
  error = syntaxError('x == "\\d"');
  assert.match(error.message, /invalid escape \\d/);
  error = syntaxError('x == 9223372036854775808');
  assert.match(error.message, /out of range/);
});

test('build errors: unknown paths, contexts, enums and converters, argument counts, editors, regexes, lists', () => {
  assert.match(compileError('foo == 1').message, /column 1: segment "foo" from path "foo" is not a valid path for the span context/);
  assert.match(compileError('name == "x" and resource.name == "y"').message, /column 26: segment "name" .*resource context/);
  assert.match(compileError('spanevent.name == "x"').message, /context "spanevent" is not available in span conditions/);
  assert.match(compileError('kind == SPAN_KIND_SERVERS').message, /column 9: enum symbol, SPAN_KIND_SERVERS, not found/);
  assert.match(compileError('Nope(name)').message, /undefined function "Nope"/);
  assert.match(compileError('IsRootSpan()', 'spanevent').message, /undefined function "IsRootSpan"/);
  assert.match(compileError('Substring(name, 0, 1) == "a"').message, /converter Substring is not supported by this collector \(supported: IsMatch, Len/);
  assert.match(compileError('IsMatch(name)').message, /incorrect number of arguments to IsMatch: expected 2, received 1/);
  assert.match(compileError('IsMatch(target = name, regex = "x")').message, /no such parameter: regex/);
  assert.match(compileError('isMatch(name, "x") == true').message, /converter names must start with an uppercase letter but got 'isMatch'/);
  assert.match(compileError('IsMatch(name, "(?=x)")').message, /not a valid pattern: lookaround/);
  assert.match(compileError('IsMatch(name, "a(")').message, /not a valid pattern/);
  assert.match(compileError('attributes["a"] == ["x"]').message, /list literals are not supported/);
  assert.match(compileError('name.string == "x"').message, /segment "string" from path "name.string"/);
  assert.match(compileError('cache["x"] == 1').message, /"cache" path is not supported/);
  assert.match(compileError('trace_state["a"]["b"] == "x"').message, /exactly 1 key/);
  // Literal arguments go through the parameter's type when the configuration is read, as in the Collector.
  assert.match(compileError('IsString(1)').message, /column 10: invalid argument target of IsString: expected string but got int64/);
  assert.match(compileError('HasPrefix(name, nil)').message, /invalid argument prefix of HasPrefix: expected string but got nil/);
  assert.match(compileError('IsMatch(name, 1)').message, /invalid argument pattern of IsMatch: expected string but got int64/);
  assert.match(compileError('Int("4x") == 4').message, /invalid argument target of Int: strconv.ParseInt: parsing "4x": invalid syntax/);
  assert.match(compileError('Concat([name], 1) == "x"').message, /invalid argument delimiter of Concat/);
  assert.match(compileError('IsMatch(name, "(?U)a")').message, /\(\?U\) flag/);
});

test('ottlConditionProblem: null for a good condition, the column and detail otherwise', () => {
  assert.equal(ottlConditionProblem('span.attributes["http.status_code"] >= 500', 'span'), null);
  assert.equal(ottlConditionProblem('spanevent.name == "exception" and span.name != ""', 'spanevent'), null);
  assert.equal(
    ottlConditionProblem('name ==', 'span'),
    'invalid OTTL condition: syntax error at column 8: unexpected end of condition: expected a value (a path, literal, converter call or expression)',
  );
  assert.equal(ottlConditionProblem('event_index == 0', 'spanevent'), null);
  assert.match(ottlConditionProblem('foo == 1', 'spanevent')!, /^invalid OTTL condition at column 1: segment "foo"/);
});
