import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createRedactor,
  DEFAULT_REDACTION_SETTINGS,
  ipNetworkPrefix,
  parseIpv6,
  RedactionSettingsError,
  validateRedactionSettings,
  type RedactionSettings,
} from '../src/index.js';

function problems(overrides: Partial<RedactionSettings>): string[] {
  return validateRedactionSettings({ ...DEFAULT_REDACTION_SETTINGS, ...overrides }).map((p) => `${p.path.join('.')}: ${p.message}`);
}

test('valid settings have no problems', () => {
  assert.deepEqual(
    problems({
      hash_key: 'k',
      rules: [
        { key: 'a', action: 'hash' },
        { key_glob: '*.b', action: 'drop' },
        { key_regex: '^c', value_regex: 'x+', action: 'mask' },
        { value_kind: 'email', action: 'derive' },
        { key: 'd', action: 'keep' },
      ],
    }),
    [],
  );
});

test('hash without a key is an error at the rule, and at default_rules when the defaults hash', () => {
  assert.deepEqual(problems({ rules: [{ key: 'a', action: 'hash' }] }), [
    'rules.0.action: hash needs hash_key (e.g. hash_key: ${env:DT_REDACTION_HASH_KEY}), and it is not set or empty',
  ]);
  assert.equal(problems({ rules: [{ key: 'a', action: 'hash' }], hash_key: '' }).length, 1, 'an unset ${env:…} expands to empty');
  assert.deepEqual(problems({ default_rules: { enabled: true, action: 'hash' } }), ['default_rules.action: hash needs hash_key, and it is not set or empty']);
  assert.throws(() => createRedactor({ ...DEFAULT_REDACTION_SETTINGS, rules: [{ key: 'a', action: 'hash' }] }), RedactionSettingsError);
});

test('a rule needs a matcher, at most one key matcher and at most one value matcher', () => {
  assert.deepEqual(problems({ rules: [{ action: 'mask' }] }), [
    'rules.0: a rule needs a key matcher (key, key_glob, key_regex) or a value matcher (value_regex, value_kind)',
  ]);
  assert.deepEqual(problems({ rules: [{ key: 'a', key_glob: 'b*', action: 'mask' }] }), [
    'rules.0.key_glob: use only one of key, key_glob, key_regex (also set: key)',
  ]);
  assert.deepEqual(problems({ rules: [{ value_regex: 'a', value_kind: 'ip', action: 'mask' }] }), [
    'rules.0.value_kind: use only one of value_regex, value_kind (also set: value_regex)',
  ]);
});

test('regexes that do not compile, are empty or match everything are errors at their key', () => {
  const found = problems({
    rules: [
      { key_regex: '(unclosed', action: 'mask' },
      { value_regex: '[z-a]', action: 'mask' },
      { value_regex: '.*', action: 'mask' },
      { key: 'x', value_regex: '', action: 'mask' },
    ],
  });
  assert.equal(found.length, 4, found.join('\n'));
  assert.match(found[0]!, /^rules\.0\.key_regex: invalid regular expression: /);
  assert.match(found[1]!, /^rules\.1\.value_regex: invalid regular expression: /);
  assert.equal(found[2], 'rules.2.value_regex: matches the empty string; it would match every value');
  assert.equal(found[3], 'rules.3.value_regex: must not be empty');
});

test('derive needs a derivation unless the value kind implies one; derive is only for derive', () => {
  assert.deepEqual(problems({ rules: [{ key: 'email', action: 'derive' }] }), [
    'rules.0.derive: required with action derive: email_domain, ip_prefix or card_last4',
  ]);
  assert.deepEqual(problems({ rules: [{ key: 'email', action: 'mask', derive: 'email_domain' }] }), [
    'rules.0.derive: only used with action derive (the action is mask)',
  ]);
  assert.deepEqual(problems({ rules: [{ value_kind: 'card_number', action: 'derive' }] }), []);
});

test('keep needs a key matcher and no value matcher', () => {
  assert.deepEqual(problems({ rules: [{ value_regex: 'x', action: 'keep' }] }), [
    'rules.0.action: keep exempts keys: it needs a key matcher and no value matcher',
  ]);
});

test('max_value_length must be a whole number, 0 or more', () => {
  assert.deepEqual(problems({ max_value_length: -1 }), ['max_value_length: expected a whole number of characters, 0 to turn truncation off']);
  assert.deepEqual(problems({ max_value_length: 0 }), []);
});

test('every problem is reported at once', () => {
  const found = problems({
    rules: [
      { key: 'a', action: 'hash' },
      { key_regex: '(', action: 'mask' },
    ],
    max_value_length: 1.5,
  });
  assert.equal(found.length, 3, found.join('\n'));
});

test('IP network prefixes: /24 for IPv4, /48 for IPv6 (compressed, full and IPv4-mapped forms)', () => {
  assert.equal(ipNetworkPrefix('192.168.10.200'), '192.168.10.0/24');
  assert.equal(ipNetworkPrefix('2001:db8:85a3::8a2e:370:7334'), '2001:db8:85a3::/48');
  assert.equal(ipNetworkPrefix('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8:0::/48');
  assert.equal(ipNetworkPrefix('::1'), '0:0:0::/48');
  assert.equal(ipNetworkPrefix('300.1.1.1'), null);
  assert.deepEqual(parseIpv6('::ffff:192.0.2.1'), [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
  assert.equal(parseIpv6('1:2:3'), null);
  assert.equal(parseIpv6('1::2::3'), null);
  assert.equal(parseIpv6('12345::'), null);
});
