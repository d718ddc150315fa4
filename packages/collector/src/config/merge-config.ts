import { isDeepStrictEqual } from 'node:util';
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
 * The Collector's `confmap.enableMergeAppendOption` feature gate (alpha, off by default): these
 * lists, when both sources have them, are appended (later items not already present added at
 * the end) instead of replaced.
 */
export const MERGE_APPEND_GATE = 'confmap.enableMergeAppendOption';
const APPENDED_LISTS = /^service::(?:extensions|.*::receivers|.*::exporters)$/;

export interface MergeOptions {
  /** The merge-append feature gate is on. */
  appendLists?: boolean;
}

/**
 * Merges `later` into `base` as the Collector merges several `--config` sources: maps are
 * merged key by key, anything else (a scalar, a list, null) in `later` replaces what `base`
 * had (lists too, unless the merge-append gate is on: see MERGE_APPEND_GATE). Returns a new tree.
 */
export function mergeConfig(base: Record<string, unknown>, later: Record<string, unknown>, options: MergeOptions = {}, path = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) defineKey(out, key, value);
  for (const [key, value] of Object.entries(later)) {
    const current = out[key];
    const at = path ? `${path}${KEY_DELIMITER}${key}` : key;
    if (Object.hasOwn(out, key) && isPlainMap(current) && isPlainMap(value)) defineKey(out, key, mergeConfig(current, value, options, at));
    else if (options.appendLists && Array.isArray(current) && Array.isArray(value) && APPENDED_LISTS.test(at)) defineKey(out, key, appendNew(current, value));
    else defineKey(out, key, value);
  }
  return out;
}

function appendNew(current: unknown[], later: unknown[]): unknown[] {
  const out = [...current];
  for (const item of later) {
    if (!out.some((present) => isDeepStrictEqual(present, item))) out.push(item);
  }
  return out;
}
