import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';

const wrap = (processors: string, env: NodeJS.ProcessEnv = {}) =>
  parseCollectorConfig(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
${processors}
exporters:
  debug: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [redaction, decision]
      exporters: [debug]
`,
    defaultComponents(),
    env,
  );

function errorsOf(processors: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    wrap(processors, env);
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('the config was accepted');
}

test('a redaction block parses with its defaults; hash_key comes from the environment', () => {
  const config = wrap(
    `
  redaction:
    hash_key: \${env:DT_TEST_HASH_KEY}
    rules:
      - key: user.id
        action: hash
      - value_kind: email
        action: derive
  decision: {}
`,
    { DT_TEST_HASH_KEY: 's3cret' },
  );
  assert.deepEqual(config.processors.get('redaction')!.config, {
    hash_key: 's3cret',
    rules: [
      { key: 'user.id', action: 'hash' },
      { value_kind: 'email', action: 'derive' },
    ],
    default_rules: { enabled: true, action: 'mask' },
    max_value_length: 5000,
  });
});

test('hash without a key fails at start with the rule path, also when ${env:...} is unset', () => {
  const block = `
  redaction:
    hash_key: \${env:DT_TEST_UNSET_HASH_KEY}
    rules:
      - key: user.id
        action: hash
  decision: {}
`;
  assert.deepEqual(errorsOf(block), [
    'processors.redaction.rules[0].action: hash needs hash_key (e.g. hash_key: ${env:DT_REDACTION_HASH_KEY}), and it is not set or empty',
  ]);
  assert.deepEqual(
    errorsOf(`
  redaction:
    default_rules: { action: hash }
  decision: {}
`),
    ['processors.redaction.default_rules.action: hash needs hash_key, and it is not set or empty'],
  );
});

test('rule problems are reported at their YAML paths, all at once', () => {
  const errors = errorsOf(`
  redaction:
    max_value_length: -5
    rules:
      - key_regex: "(unclosed"
        action: mask
      - key: a
        key_glob: "b*"
        action: mask
      - value_kind: phone
        action: mask
      - key: email
        action: derive
      - key: x
        action: scramble
      - key: y
        action: mask
        colour: red
  decision: {}
`);
  assert.ok(
    errors.some((e) => e.startsWith('processors.redaction.max_value_length: ')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.startsWith('processors.redaction.rules[2].value_kind: ')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.startsWith('processors.redaction.rules[4].action: ')),
    errors.join('\n'),
  );
  assert.ok(errors.includes('processors.redaction.rules[5].colour: unknown key'), errors.join('\n'));
  // Semantic checks need a structurally valid block, so they come once the above are fixed.
  const semantic = errorsOf(`
  redaction:
    rules:
      - key_regex: "(unclosed"
        action: mask
      - key: a
        key_glob: "b*"
        action: mask
      - key: email
        action: derive
  decision: {}
`);
  assert.equal(semantic.length, 3, semantic.join('\n'));
  assert.match(semantic[0]!, /^processors\.redaction\.rules\[0\]\.key_regex: invalid regular expression: /);
  assert.equal(semantic[1], 'processors.redaction.rules[1].key_glob: use only one of key, key_glob, key_regex (also set: key)');
  assert.equal(semantic[2], 'processors.redaction.rules[2].derive: required with action derive: email_domain, ip_prefix or card_last4');
});

test('allow_list: keys are required; unknown keys are errors', () => {
  const errors = errorsOf(`
  redaction:
    allow_list:
      keep_decision_keys: false
      extra: 1
  decision: {}
`);
  assert.ok(errors.includes('processors.redaction.allow_list.extra: unknown key'), errors.join('\n'));
  assert.ok(
    errors.some((e) => e.startsWith('processors.redaction.allow_list.keys: required')),
    errors.join('\n'),
  );
});

test('decision processor: unknown_types needs a registry and is one of allow, flag, reject', () => {
  assert.deepEqual(
    errorsOf(`
  redaction: {}
  decision:
    unknown_types: flag
`),
    ['processors.decision.unknown_types: only used with registry'],
  );
  const errors = errorsOf(`
  redaction: {}
  decision:
    registry: ./decision-registry.yaml
    unknown_types: ignore
`);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^processors\.decision\.unknown_types: /);
  const config = wrap(`
  redaction: {}
  decision:
    registry: ./decision-registry.yaml
    unknown_types: reject
`);
  assert.equal((config.processors.get('decision')!.config as { unknown_types: string }).unknown_types, 'reject');
});
