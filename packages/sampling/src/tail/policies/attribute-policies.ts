import { isDoubleValue, type ReadonlyAttributeValue, type ReadonlyAttributes } from '@decision-trace/model';
import type { TraceData } from '../trace-data.js';
import { anyResourceOrSpan, noResourceOrSpan, type PolicyDecision, type PolicyEvaluator } from './policy.js';
import { compileGoRegexp } from '../../go-regexp.js';

/**
 * `numeric_attribute`: a resource or span attribute within [min_value, max_value], both
 * inclusive. Like the Collector (pcommon `Value.Int()`), an attribute that is present but not an
 * integer — a double, a string, a bool — counts as 0, so `max_value: 300` matches `404.5`.
 */
export class NumericAttributePolicy implements PolicyEvaluator {
  private readonly min: number;
  private readonly max: number;

  constructor(private readonly config: { key: string; min_value?: number; max_value?: number; invert_match: boolean }) {
    this.min = config.min_value ?? -Infinity;
    this.max = config.max_value ?? Infinity;
  }

  evaluate(trace: TraceData): PolicyDecision {
    const { key } = this.config;
    const matches = (attributes: Record<string, ReadonlyAttributeValue>) => key in attributes && this.inRange(integerValueOf(attributes, key));
    const resourceMatches = (resource: { attributes: Record<string, ReadonlyAttributeValue> }) => matches(resource.attributes);
    const spanMatches = (span: { attributes: Record<string, ReadonlyAttributeValue> }) => matches(span.attributes);
    return this.config.invert_match ? noResourceOrSpan(trace, resourceMatches, spanMatches) : anyResourceOrSpan(trace, resourceMatches, spanMatches);
  }

  private inRange(numeric: number): boolean {
    return numeric >= this.min && numeric <= this.max;
  }
}

/** pcommon `Value.Int()`: the integer, or 0 for every other type (doubles included, 3.0 too). */
function integerValueOf(attributes: ReadonlyAttributes, key: string): number {
  const value = attributes[key];
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isInteger(value) && !isDoubleValue(attributes, key, value)) return value;
  return 0;
}

/**
 * `string_attribute`: a string resource or span attribute equal to one of `values`, or, with
 * `enabled_regex_matching`, matching one of them as a regular expression anywhere in the value
 * (Go's RE2 syntax, unanchored, as the Collector's regexp.MatchString). Regex results are memoised per value (`cache_max_size`).
 */
export class StringAttributePolicy implements PolicyEvaluator {
  private readonly matcher: (value: string) => boolean;

  constructor(private readonly config: { key: string; values: string[]; enabled_regex_matching: boolean; cache_max_size: number; invert_match: boolean }) {
    if (config.enabled_regex_matching) {
      const patterns = config.values.map((value) => compileGoRegexp(value));
      const capacity = config.cache_max_size > 0 ? config.cache_max_size : 128;
      // A memo, not an LRU: results never change, so forgetting everything when full is
      // enough to bound it, and a hit costs one Map lookup.
      const cache = new Map<string, boolean>();
      this.matcher = (value) => {
        const known = cache.get(value);
        if (known !== undefined) return known;
        const matched = patterns.some((pattern) => pattern.test(value));
        if (cache.size >= capacity) cache.clear();
        cache.set(value, matched);
        return matched;
      };
    } else {
      const exact = new Set(config.values.filter((value) => value !== ''));
      this.matcher = (value) => exact.has(value);
    }
  }

  evaluate(trace: TraceData): PolicyDecision {
    const { key } = this.config;
    // A present non-string value reads as "" (pcommon `Value.Str()`), which a regex may match.
    const resourceMatches = (resource: { attributes: Record<string, ReadonlyAttributeValue> }) =>
      key in resource.attributes && this.matcher(stringValueOf(resource.attributes[key]));
    // An empty span value never matches (the Collector skips it); a resource's may.
    const spanMatches = (span: { attributes: Record<string, ReadonlyAttributeValue> }) => {
      const value = span.attributes[key];
      return typeof value === 'string' && value !== '' && this.matcher(value);
    };
    return this.config.invert_match ? noResourceOrSpan(trace, resourceMatches, spanMatches) : anyResourceOrSpan(trace, resourceMatches, spanMatches);
  }
}

/** pcommon `Value.Str()`: the string, or "" for every other type. */
function stringValueOf(value: ReadonlyAttributeValue): string {
  return typeof value === 'string' ? value : '';
}

/**
 * `boolean_attribute`: a resource or span attribute equal to `value`. Like the Collector
 * (pcommon `Value.Bool()`), a present attribute that is not a bool reads as false.
 */
export class BooleanAttributePolicy implements PolicyEvaluator {
  constructor(private readonly config: { key: string; value: boolean; invert_match: boolean }) {}

  evaluate(trace: TraceData): PolicyDecision {
    const { key, value } = this.config;
    const matches = (attributes: Record<string, ReadonlyAttributeValue>) => key in attributes && (attributes[key] === true) === value;
    const resourceMatches = (resource: { attributes: Record<string, ReadonlyAttributeValue> }) => matches(resource.attributes);
    const spanMatches = (span: { attributes: Record<string, ReadonlyAttributeValue> }) => matches(span.attributes);
    return this.config.invert_match ? noResourceOrSpan(trace, resourceMatches, spanMatches) : anyResourceOrSpan(trace, resourceMatches, spanMatches);
  }
}
