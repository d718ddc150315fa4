import type { ReadonlyAttributeValue, ReadonlyAttributes } from './readonly-otlp-types.js';

/**
 * The attribute keys a context span is read from (span-kind.ts, token-usage.ts,
 * context-span.ts), each with a bit, and one pass over a span's attributes that says which of
 * them it carries.
 *
 * Why: those readers ask for about thirty keys by name, in their order of precedence, and on a
 * typical span nearly all of them are absent; each absent key is still a lookup with a key that
 * varies at the call site, which V8 answers slowly. One pass over the few attributes a span has,
 * then lookups of only the keys it has, gives the same values (the keys are never on
 * Object.prototype, so a key that is not an own property reads undefined either way) at about a
 * third of the cost (the decisions exporter runs this for every span it keeps).
 */
export interface AiAttributeKey {
  readonly key: string;
  readonly bit: number;
}

/** Which AiAttributeKeys an attribute set holds, one bit each; EVERY_AI_KEY when not known. */
export type PresentAiKeys = number;

/** For callers that did not scan: every key is looked up. */
export const EVERY_AI_KEY: PresentAiKeys = -1;

const bits = new Map<string, number>();

/** Registers `key` (at module load; at most 32 keys) and returns it with its bit. */
export function aiAttributeKey(key: string): AiAttributeKey {
  let bit = bits.get(key);
  if (bit === undefined) {
    if (bits.size === 32) throw new Error('at most 32 AI attribute keys');
    bit = 1 << bits.size;
    bits.set(key, bit);
  }
  return { key, bit };
}

export function aiAttributeKeys(keys: readonly string[]): readonly AiAttributeKey[] {
  return keys.map(aiAttributeKey);
}

/** The bits of the registered keys that `attributes` holds as own enumerable properties. */
export function presentAiKeys(attributes: ReadonlyAttributes): PresentAiKeys {
  let present = 0;
  for (const key in attributes) {
    const bit = bits.get(key);
    if (bit !== undefined) present |= bit;
  }
  return present;
}

/** `attributes[key]`, skipping the lookup when `present` says the key is not there. */
export function readAiAttribute(attributes: ReadonlyAttributes, present: PresentAiKeys, key: AiAttributeKey): ReadonlyAttributeValue | undefined {
  return (present & key.bit) === 0 ? undefined : attributes[key.key];
}
