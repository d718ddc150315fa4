import { defineKey, isPlainMap } from './expanded-value.js';

/** The OpenTelemetry Collector's key separator: `a::b: 1` in any source means `a: {b: 1}`. */
export const KEY_DELIMITER = '::';

/**
 * Splits top-level keys written with `::` into nested maps, as confmap does when it takes in a
 * source (only the top level: a nested key keeps its `::`). Keys are taken in sorted order, so
 * `a::b` lands inside an `a` map of the same source.
 */
export function unflattenKeys(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) {
    const parts = key.split(KEY_DELIMITER);
    let target = out;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainMap(target[part])) defineKey(target, part, {});
      target = target[part] as Record<string, unknown>;
    }
    defineKey(target, parts[parts.length - 1]!, source[key]);
  }
  return out;
}

/**
 * Merges `later` into `base` as the Collector merges several `--config` sources: maps are
 * merged key by key, anything else (a scalar, a list, null) in `later` replaces what `base`
 * had. Lists are not concatenated (the Collector's confmap.enableMergeAppendOption feature
 * gate, alpha and off by default, is not implemented). Returns a new tree.
 */
export function mergeConfig(base: Record<string, unknown>, later: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) defineKey(out, key, value);
  for (const [key, value] of Object.entries(later)) {
    const current = out[key];
    defineKey(out, key, Object.hasOwn(out, key) && isPlainMap(current) && isPlainMap(value) ? mergeConfig(current, value) : value);
  }
  return out;
}
