/**
 * A value that a whole-value reference (`key: ${env:X}`) produced: `value` as YAML reads the
 * text (a number, a bool, a map, null …) and `original`, the text itself. As in the
 * OpenTelemetry Collector's confmap, the key's schema decides which one it takes: a key that
 * wants a string gets `original` (so `${env:PORT}` holding `0123` stays "0123"), every other
 * key gets `value` (so `send_batch_size: ${env:N}` holding `5` is the number 5).
 */
export class ExpandedValue {
  constructor(
    readonly value: unknown,
    readonly original: string,
  ) {}
}

/** `node` with every ExpandedValue replaced by its typed value, or by its text at `useOriginal` paths. */
export function typedView(node: unknown, useOriginal: ReadonlySet<string> = new Set(), path = ''): unknown {
  if (node instanceof ExpandedValue) {
    if (useOriginal.has(path)) return node.original;
    return typedView(node.value, useOriginal, path);
  }
  if (Array.isArray(node)) return node.map((item, i) => typedView(item, useOriginal, `${path}[${i}]`));
  if (isPlainMap(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) defineKey(out, key, typedView(child, useOriginal, path ? `${path}.${key}` : key));
    return out;
  }
  return node;
}

/** The node at a dot/bracket path, looking through ExpandedValues on the way (not at the end). */
export function nodeAt(node: unknown, segments: ReadonlyArray<string | number>): unknown {
  let current = node;
  for (const segment of segments) {
    if (current instanceof ExpandedValue) current = current.value;
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function isPlainMap(node: unknown): node is Record<string, unknown> {
  return node !== null && typeof node === 'object' && !Array.isArray(node) && !(node instanceof ExpandedValue);
}

/**
 * Defined, not assigned: `out["__proto__"] = …` would set the prototype, so a `__proto__` key
 * would pass as no key at all and its entries as inherited ones of its parent.
 */
export function defineKey(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}
