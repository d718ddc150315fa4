/**
 * What a redaction pass is told to do. The shape (snake_case) is the collector's
 * `processors.redaction` YAML block, so a problem found in it carries the YAML path as is.
 */
export const REDACTION_ACTIONS = ['drop', 'mask', 'hash', 'derive', 'keep'] as const;
export type RedactionAction = (typeof REDACTION_ACTIONS)[number];

/** Built-in derivations: keep what is useful for analysis, lose what identifies a person. */
export const DERIVATIONS = ['email_domain', 'ip_prefix', 'card_last4'] as const;
export type Derivation = (typeof DERIVATIONS)[number];

/** Built-in value detectors, usable instead of a `value_regex`. */
export const VALUE_KINDS = ['email', 'ip', 'card_number'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

export const DEFAULT_RULE_ACTIONS = ['drop', 'mask', 'hash'] as const;

export interface RedactionRuleSettings {
  /** Shown in errors only; rules are otherwise known by their position. */
  name?: string;
  /** A field whose path is this, or ends with `.` + this. */
  key?: string;
  /** `*` any characters (dots too), `?` one character; matched against the whole path. */
  key_glob?: string;
  /** Searched in the path (anchor it with ^…$ to match the whole path). */
  key_regex?: string;
  /** Occurrences in string values (numbers are matched as their decimal text). */
  value_regex?: string;
  value_kind?: ValueKind;
  action: RedactionAction;
  /** With `derive`: which derivation (defaults to the value kind's own). */
  derive?: Derivation;
  /** Key matching ignores case unless false; value regexes follow it too. */
  ignore_case?: boolean;
}

export interface RedactionSettings {
  rules: RedactionRuleSettings[];
  /** Keys that name secrets (password, token, api_key, …) get `action` unless a rule matched first. */
  default_rules: { enabled: boolean; action: (typeof DEFAULT_RULE_ACTIONS)[number] };
  /** Allow-list mode: only these attribute keys survive (globs); absent means off. */
  allow_list?: { keys: string[]; keep_decision_keys: boolean };
  /** HMAC-SHA256 key of the `hash` action; required as soon as a rule hashes. */
  hash_key?: string;
  /** String values longer than this many characters are cut with a marker; 0 turns it off. */
  max_value_length: number;
}

export const DEFAULT_MAX_VALUE_LENGTH = 5000;

export const DEFAULT_REDACTION_SETTINGS: RedactionSettings = {
  rules: [],
  default_rules: { enabled: true, action: 'mask' },
  max_value_length: DEFAULT_MAX_VALUE_LENGTH,
};

/** What a masked value becomes. */
export const MASK_TEXT = '***';
/** Appended to a truncated value. */
export const TRUNCATION_MARKER = '…[truncated]';
