import { toJsonValue } from '../attribute-values.js';
import { parseJsonExact, stringifyJsonExact } from '../exact-json.js';
import { carryIntegralDoubleNotes, isDoubleValue, noteIntegralDouble } from '../integral-doubles.js';
import type { AttributeValue, Attributes } from '../otlp-types.js';
import type { CompiledRedaction, CompiledRule } from './compile.js';
import { decisionPathOf } from './decision-path.js';
import { confirmValueKind, deriveFirst, DERIVATION_SPECS } from './derive.js';
import type { Findings } from './findings.js';
import { keyedHash } from './keyed-hash.js';
import { MASK_TEXT, TRUNCATION_MARKER } from './settings.js';

/** A field to remove. */
export const DROP: unique symbol = Symbol('redaction.drop');

/** A field derived as a whole: it is stored under its key + `suffix` instead (`email` → `email_domain`). */
export class Renamed {
  constructor(
    readonly suffix: string,
    readonly value: string,
  ) {}
}

export type FieldResult = unknown | typeof DROP | Renamed;

/** Path caches are cleared past this many entries: nested JSON keys could be unbounded. */
const MAX_CACHED_PATHS = 10_000;
const NO_VALUE_RULES: CompiledRule[] = [];

/**
 * The walk over one value and everything inside it (kvlists, arrays, JSON strings), copy on
 * write: a value nothing applies to is returned as the same object, so the common case
 * allocates nothing and data shared with other pipelines is never changed.
 *
 * Order at each field: allow list (top level only), then the first key rule that matches (the
 * built-in sensitive-key rule last), else value rules on the strings inside, then truncation.
 */
export class ValueRedactor {
  private readonly keyRuleCache = new Map<string, CompiledRule | null>();
  private readonly valueRuleCache = new Map<string, CompiledRule[]>();
  private readonly allowCache = new Map<string, boolean>();

  constructor(private readonly compiled: CompiledRedaction) {}

  get allowListOn(): boolean {
    return this.compiled.isAllowed !== null;
  }

  isAllowed(path: string): boolean {
    const isAllowed = this.compiled.isAllowed;
    if (isAllowed === null) return true;
    let allowed = this.allowCache.get(path);
    if (allowed === undefined) {
      if (this.allowCache.size >= MAX_CACHED_PATHS) this.allowCache.clear();
      const alias = decisionPathOf(path);
      allowed = isAllowed(path) || (alias !== null && isAllowed(alias));
      this.allowCache.set(path, allowed);
    }
    return allowed;
  }

  /**
   * The entries of a kvlist, attribute set or JSON object. `base` is the path of the object
   * (null for an attribute set, whose keys are paths themselves); `skipKey` is left untouched;
   * `checkAllowList` applies the allow list to these keys.
   */
  redactEntries(entries: Record<string, unknown>, base: string | null, findings: Findings, checkAllowList: boolean, skipKey?: string): Record<string, unknown> {
    let out: Record<string, unknown> | null = null;
    for (const key in entries) {
      const value = entries[key];
      let result: FieldResult = value;
      if (key !== skipKey) {
        const path = base === null ? key : `${base}.${key}`;
        if (checkAllowList && !this.isAllowed(path)) {
          findings.add(path, 'drop');
          result = DROP;
        } else {
          result = this.redactField(path, value, findings);
        }
      }
      if (result === value && out === null) continue;
      if (out === null) {
        out = {};
        for (const earlier in entries) {
          if (earlier === key) break;
          out[earlier] = entries[earlier];
        }
      }
      if (result === DROP) continue;
      if (result instanceof Renamed) out[`${key}${result.suffix}`] = result.value;
      else out[key] = result;
    }
    if (out === null) return entries;
    carryIntegralDoubleNotes(entries as Attributes, out as Attributes);
    return out;
  }

  /** One field (a key and its value) at `path`. */
  redactField(path: string, value: unknown, findings: Findings): FieldResult {
    const rule = this.keyRuleFor(path);
    if (rule === null) return this.redactValue(path, value, findings);
    if (rule.action === 'keep') return typeof value === 'string' ? this.truncate(path, value, findings) : value;
    return this.applyToWhole(rule, path, value, findings);
  }

  /** A value whose own key matched no key rule: look inside it. */
  redactValue(path: string, value: unknown, findings: Findings): FieldResult {
    switch (typeof value) {
      case 'string':
        return this.redactString(path, value, findings);
      case 'number':
      case 'bigint': {
        // A card number or an id sent as a number must not slip past the value rules.
        const rules = this.valueRulesFor(path);
        if (rules.length === 0) return value;
        if (isSmallInteger(value) && rules.every((rule) => rule.valueKind !== null)) return value;
        const text = String(value);
        const result = this.applyValueRules(path, text, findings);
        return result === text ? value : result;
      }
      case 'object':
        if (value === null || value instanceof Uint8Array) return value;
        if (Array.isArray(value)) return this.redactArray(path, value, findings);
        return this.redactEntries(value as Record<string, unknown>, path, findings, false);
      default:
        return value;
    }
  }

  /**
   * Strings holding a JSON object or array are walked like kvlists, then written back. They are
   * truncated value by value, never as a whole: a cut JSON text would lose all its structure.
   */
  private redactString(path: string, text: string, findings: Findings): FieldResult {
    if (startsLikeJson(text)) {
      let parsed: unknown;
      try {
        parsed = parseJsonExact(text);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed === 'object' && parsed !== null) {
        const redacted = this.redactValue(path, parsed, findings);
        return redacted === parsed ? text : stringifyJsonExact(redacted);
      }
      if (parsed === undefined) {
        const whole = this.redactMalformedJson(path, text, findings);
        if (whole !== undefined) return whole;
      }
    }
    const result = this.applyValueRules(path, text, findings);
    return typeof result === 'string' ? this.truncate(path, result, findings) : result;
  }

  /**
   * A string that starts like JSON but does not parse (`{"password":"x",}`): its structure is
   * unknown, yet whoever reads it (the record keeps it raw and flagged) sees the keys and values.
   * Fails closed: every word in it (quoted strings unescaped, bare words) is tried as a key under
   * `path`; if one matches a key rule, the whole value gets that rule's action (`drop` and `hash`
   * as they are, anything else masks). Undefined when no key rule matches: the value rules and
   * truncation then apply as to any text.
   */
  private redactMalformedJson(path: string, text: string, findings: Findings): FieldResult | undefined {
    for (const word of wordsOf(text)) {
      const rule = this.firstKeyRule(`${path}.${word}`);
      if (rule === null || rule.action === 'keep') continue;
      switch (rule.action) {
        case 'drop':
          findings.add(path, 'drop');
          return DROP;
        case 'hash':
          findings.add(path, 'hash');
          return keyedHash(this.compiled.hashKey!, text);
        default:
          findings.add(path, 'mask');
          return MASK_TEXT;
      }
    }
    return undefined;
  }

  /**
   * The first key rule matching the path or its `decision.*` name (decisionPathOf). Uncached:
   * keyRuleFor caches it, and the words of a malformed text are not paths worth keeping.
   */
  private firstKeyRule(path: string): CompiledRule | null {
    const alias = decisionPathOf(path);
    for (const candidate of this.compiled.keyRules) {
      if (candidate.matchesKey!(path) || (alias !== null && candidate.matchesKey!(alias))) return candidate;
    }
    return null;
  }

  private redactArray(path: string, items: unknown[], findings: Findings): unknown[] {
    let out: unknown[] | null = null;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const result = this.redactValue(path, item, findings);
      if (result === item && out === null) continue;
      if (out === null) {
        out = items.slice(0, i);
        carryIntegralDoubleNotes(items as AttributeValue[], out as AttributeValue[]);
      }
      if (result === DROP) continue;
      out.push(result instanceof Renamed ? result.value : result);
      // An unchanged integral double keeps its note at its new index (drops shift the indices).
      if (result === item && typeof item === 'number' && isDoubleValue(items as AttributeValue[], i, item))
        noteIntegralDouble(out as AttributeValue[], out.length - 1, true);
    }
    return out ?? items;
  }

  private applyToWhole(rule: CompiledRule, path: string, value: unknown, findings: Findings): FieldResult {
    switch (rule.action) {
      case 'drop':
        findings.add(path, 'drop');
        return DROP;
      case 'hash':
        findings.add(path, 'hash');
        return keyedHash(this.compiled.hashKey!, textOf(value));
      case 'derive': {
        const derived = value === null || typeof value === 'object' ? null : deriveFirst(rule.derivation!, textOf(value));
        if (derived !== null) {
          findings.add(path, 'derive');
          return new Renamed(DERIVATION_SPECS[rule.derivation!].keySuffix, derived);
        }
        // Nothing to derive from: fail closed.
        findings.add(path, 'mask');
        return MASK_TEXT;
      }
      default:
        findings.add(path, 'mask');
        return MASK_TEXT;
    }
  }

  /** The text with every value rule that applies at `path` applied, in order. */
  private applyValueRules(path: string, text: string, findings: Findings): string | typeof DROP | Renamed {
    const rules = this.valueRulesFor(path);
    let current = text;
    for (const rule of rules) {
      if (rule.cannotMatch !== null && rule.cannotMatch(current)) continue;
      const pattern = rule.valuePattern!;
      pattern.lastIndex = 0;
      if (!pattern.test(current)) continue;
      const outcome = this.applyValueRule(rule, current);
      if (outcome === current) continue;
      findings.add(path, outcome instanceof Renamed ? 'derive' : outcome === DROP ? 'drop' : outcome === MASK_TEXT ? 'mask' : rule.action);
      if (typeof outcome !== 'string') return outcome;
      current = outcome;
    }
    return current;
  }

  private applyValueRule(rule: CompiledRule, text: string): string | typeof DROP | Renamed {
    const pattern = rule.valuePattern!;
    const kind = rule.valueKind;
    const confirmed = (match: string) => kind === null || confirmValueKind(kind, match);
    if (rule.action === 'drop') {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        if (confirmed(m[0])) return DROP;
        if (m[0] === '') pattern.lastIndex++;
      }
      return text;
    }
    if (rule.action === 'derive') {
      const spec = DERIVATION_SPECS[rule.derivation!];
      const trimmed = text.trim();
      pattern.lastIndex = 0;
      const first = pattern.exec(trimmed);
      if (first !== null && first.index === 0 && first[0].length === trimmed.length && confirmed(first[0])) {
        const derived = spec.derive(first[0]);
        return derived === null ? MASK_TEXT : new Renamed(spec.keySuffix, derived);
      }
      return text.replace(pattern, (match) => {
        if (!confirmed(match)) return match;
        const derived = spec.derive(match);
        return derived === null ? MASK_TEXT : spec.inText(derived);
      });
    }
    const hashKey = this.compiled.hashKey;
    return text.replace(pattern, (match) => {
      if (!confirmed(match)) return match;
      return rule.action === 'hash' ? keyedHash(hashKey!, match) : MASK_TEXT;
    });
  }

  truncate(path: string, text: string, findings: Findings): string {
    const max = this.compiled.maxValueLength;
    if (max <= 0 || text.length <= max) return text;
    let cut = max;
    // Never split a surrogate pair: half a character is not valid UTF-8 on the wire.
    const last = text.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--;
    findings.add(path, 'truncate');
    return `${text.slice(0, cut)}${TRUNCATION_MARKER}`;
  }

  private keyRuleFor(path: string): CompiledRule | null {
    let rule = this.keyRuleCache.get(path);
    if (rule === undefined) {
      rule = this.firstKeyRule(path);
      if (this.keyRuleCache.size >= MAX_CACHED_PATHS) this.keyRuleCache.clear();
      this.keyRuleCache.set(path, rule);
    }
    return rule;
  }

  private valueRulesFor(path: string): CompiledRule[] {
    const all = this.compiled.valueRules;
    if (all.length === 0) return NO_VALUE_RULES;
    let rules = this.valueRuleCache.get(path);
    if (rules === undefined) {
      const alias = decisionPathOf(path);
      rules = all.filter((rule) => rule.matchesKey === null || rule.matchesKey(path) || (alias !== null && rule.matchesKey(alias)));
      if (this.valueRuleCache.size >= MAX_CACHED_PATHS) this.valueRuleCache.clear();
      this.valueRuleCache.set(path, rules);
    }
    return rules;
  }
}

/** The text a scalar is hashed or derived from; structured values as their JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return stringifyJsonExact(toJsonValue(value as AttributeValue));
}

/**
 * Integers below 10^12 (status codes, ports, counts) hold no card number, email or IP, and are
 * the common numeric attribute: the built-in detectors skip their text conversion.
 */
function isSmallInteger(value: number | bigint): boolean {
  return typeof value === 'number' ? Number.isInteger(value) && Math.abs(value) < 1e12 : value < 1_000_000_000_000n && value > -1_000_000_000_000n;
}

/**
 * `{…` or `[…` after leading white space. The end is not looked at: a JSON text cut short
 * (`{"password":"x"`) is malformed JSON all the same, and must not pass as plain text.
 */
function startsLikeJson(text: string): boolean {
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  const first = text.charCodeAt(start);
  return first === 123 || first === 91; // { or [
}

/** Quoted strings (single or double quotes, JSON escapes decoded) and bare words. */
const WORD = /"((?:[^"\\]|\\.)*)"?|'((?:[^'\\]|\\.)*)'?|([^\s"'{}\[\],:=;]+)/gs;

/** The distinct words of a malformed JSON text that could be keys. */
function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  WORD.lastIndex = 0;
  for (let match = WORD.exec(text); match !== null; match = WORD.exec(text)) {
    const quoted = match[1] ?? match[2];
    const word = quoted === undefined ? match[3]! : unescapeJson(quoted);
    if (word !== '') words.add(word);
  }
  return words;
}

/** `\u0070assword` → `password`: an escaped key must not slip past the key rules. */
function unescapeJson(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\u([0-9a-fA-F]{4})|\\(.)/gs, (_, hex: string | undefined, char: string | undefined) =>
    hex === undefined ? char! : String.fromCharCode(parseInt(hex, 16)),
  );
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}
