import {
  ATTR_DECISION_ACTOR_TYPE,
  ATTR_DECISION_ACTOR_VERSION,
  ATTR_DECISION_CONFIDENCE,
  ATTR_DECISION_END_TIME,
  ATTR_DECISION_ENVIRONMENT,
  ATTR_DECISION_ID,
  ATTR_DECISION_OUTCOME,
  ATTR_DECISION_PARENT_ID,
  ATTR_DECISION_RESULT,
  ATTR_DECISION_START_TIME,
  ATTR_DECISION_TENANT_ID,
  ATTR_DECISION_TYPE,
  ATTR_DECISION_VERSION,
  ATTR_DT_ACTOR_TYPE,
  ATTR_DT_ACTOR_VERSION,
  ATTR_DT_DECISION_ID,
  ATTR_DT_DECISION_TYPE,
  ATTR_DT_ENVIRONMENT,
  ATTR_DT_EVENT_ID,
  ATTR_DT_EVENT_TYPE,
  ATTR_DT_OUTCOME,
  ATTR_DT_PARENT_DECISION_ID,
  ATTR_DT_SCHEMA_VERSION,
  ATTR_DT_TENANT_ID,
  ATTR_DT_TRACE_ID,
} from '../semconv.js';
import { DEFAULT_DERIVATION, VALUE_KIND_CANNOT_CONTAIN, VALUE_KIND_PATTERNS } from './derive.js';
import { globToRegExp, isSensitiveKey, pathEndsWithKey } from './key-patterns.js';
import type { Derivation, RedactionAction, RedactionSettings, ValueKind } from './settings.js';

/** A problem in redaction settings; `path` is relative to the settings (the YAML block). */
export interface RedactionSettingsProblem {
  path: Array<string | number>;
  message: string;
}

export class RedactionSettingsError extends Error {
  constructor(readonly problems: RedactionSettingsProblem[]) {
    super(`invalid redaction settings:\n${problems.map((p) => `  - ${p.path.join('.')}: ${p.message}`).join('\n')}`);
    this.name = 'RedactionSettingsError';
  }
}

/** A rule ready to match: at most one key test and at most one value pattern. */
export interface CompiledRule {
  /** Position in `rules`, or -1 for the built-in sensitive-key rule. */
  index: number;
  /** Null: any key. */
  matchesKey: ((path: string) => boolean) | null;
  /** Global regex, or null for a key-only rule. */
  valuePattern: RegExp | null;
  /** Set when the pattern is a built-in detector whose matches need confirming. */
  valueKind: ValueKind | null;
  /** True when the text surely holds no match (skips the regex); null: always run it. */
  cannotMatch: ((text: string) => boolean) | null;
  action: RedactionAction;
  derivation: Derivation | null;
}

export interface CompiledRedaction {
  /** Rules without a value pattern, in order; the built-in rule last. */
  keyRules: CompiledRule[];
  /** Rules with a value pattern (and maybe a key test), in order. */
  valueRules: CompiledRule[];
  /** Null when allow-list mode is off. */
  isAllowed: ((path: string) => boolean) | null;
  hashKey: string | null;
  maxValueLength: number;
}

/**
 * Attribute keys kept in allow-list mode when `keep_decision_keys` is on: without them no
 * decision could be recognised, and they hold ids, types and verdicts rather than free text.
 */
export const DECISION_STRUCTURE_KEYS: readonly string[] = [
  ATTR_DECISION_TYPE,
  ATTR_DECISION_VERSION,
  ATTR_DECISION_ID,
  ATTR_DECISION_PARENT_ID,
  ATTR_DECISION_OUTCOME,
  ATTR_DECISION_RESULT,
  ATTR_DECISION_CONFIDENCE,
  ATTR_DECISION_TENANT_ID,
  ATTR_DECISION_ENVIRONMENT,
  ATTR_DECISION_ACTOR_TYPE,
  ATTR_DECISION_ACTOR_VERSION,
  ATTR_DECISION_START_TIME,
  ATTR_DECISION_END_TIME,
  ATTR_DT_DECISION_ID,
  ATTR_DT_PARENT_DECISION_ID,
  ATTR_DT_TRACE_ID,
  ATTR_DT_DECISION_TYPE,
  ATTR_DT_EVENT_TYPE,
  ATTR_DT_TENANT_ID,
  ATTR_DT_ENVIRONMENT,
  ATTR_DT_SCHEMA_VERSION,
  ATTR_DT_EVENT_ID,
  ATTR_DT_ACTOR_TYPE,
  ATTR_DT_ACTOR_VERSION,
  ATTR_DT_OUTCOME,
  'service.name',
];

/** Every problem of the settings at once (empty when they compile). */
export function validateRedactionSettings(settings: RedactionSettings): RedactionSettingsProblem[] {
  const problems: RedactionSettingsProblem[] = [];
  compileInto(settings, problems);
  return problems;
}

/** Throws RedactionSettingsError listing every problem. */
export function compileRedactionSettings(settings: RedactionSettings): CompiledRedaction {
  const problems: RedactionSettingsProblem[] = [];
  const compiled = compileInto(settings, problems);
  if (problems.length > 0) throw new RedactionSettingsError(problems);
  return compiled;
}

function compileInto(settings: RedactionSettings, problems: RedactionSettingsProblem[]): CompiledRedaction {
  const hashKey = settings.hash_key === undefined || settings.hash_key === '' ? null : settings.hash_key;
  const keyRules: CompiledRule[] = [];
  const valueRules: CompiledRule[] = [];

  settings.rules.forEach((rule, index) => {
    const at = (...path: Array<string | number>) => ['rules', index, ...path];
    const problem = (path: Array<string | number>, message: string) => problems.push({ path, message });
    const ignoreCase = rule.ignore_case !== false;

    const keyMatchers = (['key', 'key_glob', 'key_regex'] as const).filter((name) => rule[name] !== undefined);
    const valueMatchers = (['value_regex', 'value_kind'] as const).filter((name) => rule[name] !== undefined);
    if (keyMatchers.length === 0 && valueMatchers.length === 0) {
      problem(at(), 'a rule needs a key matcher (key, key_glob, key_regex) or a value matcher (value_regex, value_kind)');
      return;
    }
    if (keyMatchers.length > 1) problem(at(keyMatchers[1]!), `use only one of key, key_glob, key_regex (also set: ${keyMatchers[0]})`);
    if (valueMatchers.length > 1) problem(at(valueMatchers[1]!), `use only one of value_regex, value_kind (also set: ${valueMatchers[0]})`);

    let matchesKey: CompiledRule['matchesKey'] = null;
    if (rule.key !== undefined) {
      if (rule.key === '') problem(at('key'), 'must not be empty');
      const key = ignoreCase ? rule.key.toLowerCase() : rule.key;
      matchesKey = ignoreCase ? (path) => pathEndsWithKey(path.toLowerCase(), key) : (path) => pathEndsWithKey(path, key);
    } else if (rule.key_glob !== undefined) {
      if (rule.key_glob === '') problem(at('key_glob'), 'must not be empty');
      const glob = globToRegExp(rule.key_glob, ignoreCase);
      matchesKey = (path) => glob.test(path);
    } else if (rule.key_regex !== undefined) {
      const regex = compileRegex(rule.key_regex, ignoreCase ? 'i' : '', at('key_regex'), problems);
      if (regex !== null) matchesKey = (path) => regex.test(path);
    }

    let valuePattern: RegExp | null = null;
    let valueKind: ValueKind | null = null;
    if (rule.value_regex !== undefined) {
      valuePattern = compileRegex(rule.value_regex, ignoreCase ? 'gi' : 'g', at('value_regex'), problems);
      if (valuePattern !== null && valuePattern.test('')) {
        problem(at('value_regex'), 'matches the empty string; it would match every value');
        valuePattern = null;
      }
    } else if (rule.value_kind !== undefined) {
      valueKind = rule.value_kind;
      // A rule's own copy: global regexes carry lastIndex state.
      valuePattern = new RegExp(VALUE_KIND_PATTERNS[valueKind].source, 'g');
    }

    let derivation: Derivation | null = null;
    if (rule.action === 'derive') {
      derivation = rule.derive ?? (valueKind === null ? null : DEFAULT_DERIVATION[valueKind]);
      if (derivation === null) problem(at('derive'), 'required with action derive: email_domain, ip_prefix or card_last4');
    } else if (rule.derive !== undefined) {
      problem(at('derive'), `only used with action derive (the action is ${rule.action})`);
    }
    if (rule.action === 'hash' && hashKey === null) {
      problem(at('action'), 'hash needs hash_key (e.g. hash_key: ${env:DT_REDACTION_HASH_KEY}), and it is not set or empty');
    }
    if (rule.action === 'keep' && (valueMatchers.length > 0 || keyMatchers.length === 0)) {
      problem(at('action'), 'keep exempts keys: it needs a key matcher and no value matcher');
    }

    const cannotMatch = valueKind === null ? null : VALUE_KIND_CANNOT_CONTAIN[valueKind];
    const compiled: CompiledRule = { index, matchesKey, valuePattern, valueKind, cannotMatch, action: rule.action, derivation };
    if (valueMatchers.length > 0) {
      if (valuePattern !== null) valueRules.push(compiled);
    } else if (matchesKey !== null) {
      keyRules.push(compiled);
    }
  });

  if (settings.default_rules.enabled) {
    if (settings.default_rules.action === 'hash' && hashKey === null) {
      problems.push({ path: ['default_rules', 'action'], message: 'hash needs hash_key, and it is not set or empty' });
    }
    keyRules.push({
      index: -1,
      matchesKey: isSensitiveKey,
      valuePattern: null,
      valueKind: null,
      cannotMatch: null,
      action: settings.default_rules.action,
      derivation: null,
    });
  }

  let isAllowed: CompiledRedaction['isAllowed'] = null;
  if (settings.allow_list !== undefined) {
    const globs = settings.allow_list.keys.map((glob) => globToRegExp(glob, false));
    const structure = new Set(settings.allow_list.keep_decision_keys ? DECISION_STRUCTURE_KEYS : []);
    isAllowed = (path) => structure.has(path) || globs.some((glob) => glob.test(path));
  }

  if (!Number.isInteger(settings.max_value_length) || settings.max_value_length < 0) {
    problems.push({ path: ['max_value_length'], message: 'expected a whole number of characters, 0 to turn truncation off' });
  }
  return { keyRules, valueRules, isAllowed, hashKey, maxValueLength: settings.max_value_length };
}

function compileRegex(source: string, flags: string, path: Array<string | number>, problems: RedactionSettingsProblem[]): RegExp | null {
  if (source === '') {
    problems.push({ path, message: 'must not be empty' });
    return null;
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    problems.push({ path, message: `invalid regular expression: ${(error as Error).message}` });
    return null;
  }
}
