import { ConfigError } from './config-error.js';
import { ExpandedValue, defineKey, isPlainMap } from './expanded-value.js';
import { ProviderError, URI_PATTERN, retrieve, type ProviderContext } from './config-providers.js';

/** The Collector's bound on references that expand into references. */
const MAX_EXPANSION_ROUNDS = 1000;

/**
 * Expands `${…}` references in every string of a merged config, with the OpenTelemetry
 * Collector's rules (confmap): `${env:X}`, `${X}` (env is the default scheme), `${file:p}`,
 * `${yaml:t}`; a value that is one whole reference takes the referenced value's YAML type (an
 * ExpandedValue: see there), a reference inside a longer string splices its text; what a
 * reference brings in is expanded again; `$${` is not a reference, and at the end every `$$`
 * becomes `$` (the Collector's escape). Problems are collected with their YAML paths.
 */
export function expandReferences(node: unknown, context: ProviderContext, errors: ConfigError[], path = ''): unknown {
  let value = node;
  for (let round = 0; round < MAX_EXPANSION_ROUNDS; round++) {
    let expanded: { value: unknown; changed: boolean };
    try {
      expanded = expandOnce(value, context, path);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
      return node;
    }
    if (!expanded.changed) return unescapeDollars(expanded.value);
    value = expanded.value;
  }
  errors.push(new ConfigError(path, 'too many recursive expansions (a reference that expands to itself?)'));
  return node;
}

function child(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function expandOnce(node: unknown, context: ProviderContext, path: string): { value: unknown; changed: boolean } {
  if (node instanceof ExpandedValue) {
    const inner = expandOnce(node.value, context, path);
    if (typeof inner.value === 'string' || inner.value instanceof ExpandedValue) return inner;
    const original = expandOnce(node.original, context, path);
    if (typeof original.value === 'string') return { value: new ExpandedValue(inner.value, original.value), changed: inner.changed || original.changed };
    return inner;
  }
  if (typeof node === 'string') {
    if (!node.includes('${') || !node.includes('}')) return { value: node, changed: false };
    return expandString(node, context, path);
  }
  if (Array.isArray(node)) {
    let changed = false;
    const out = node.map((item, i) => {
      const r = expandOnce(item, context, child(path, i));
      changed ||= r.changed;
      return r.value;
    });
    return { value: out, changed };
  }
  if (isPlainMap(node)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) {
      const r = expandOnce(item, context, child(path, key));
      changed ||= r.changed;
      defineKey(out, key, r.value);
    }
    return { value: out, changed };
  }
  return { value: node, changed: false };
}

/**
 * The first reference to expand: the innermost `${` before the first `}`, skipped when an odd
 * number of `$` precede it (escaped), in which case the search goes on after that `}`.
 */
function findReference(input: string): string | undefined {
  let rest = input;
  for (;;) {
    const close = rest.indexOf('}');
    if (close < 0) return undefined;
    const open = rest.lastIndexOf('${', close);
    let escaped = false;
    if (open >= 0) {
      let dollars = 0;
      for (let i = open - 1; i >= 0 && rest[i] === '$'; i--) dollars++;
      escaped = dollars % 2 === 1;
    }
    if (open >= 0 && !escaped) return rest.slice(open, close + 1);
    rest = rest.slice(close + 1);
  }
}

function expandString(input: string, context: ProviderContext, path: string): { value: unknown; changed: boolean } {
  const reference = findReference(input);
  if (reference === undefined) return { value: input, changed: false };
  const retrieved = retrieveReference(reference, context, path);
  // A value that is one reference can become anything: a number, a map from a file, …
  if (reference === input) return { value: new ExpandedValue(retrieved.value, retrieved.text), changed: true };
  return { value: input.split(reference).join(retrieved.text), changed: true };
}

function retrieveReference(reference: string, context: ProviderContext, path: string) {
  let uri = reference.slice(2, -1);
  if (!uri.includes(':')) uri = `env:${uri}`;
  const match = URI_PATTERN.exec(uri);
  if (!match) throw new ConfigError(path, `invalid reference "${reference}": expected \${env:NAME}, \${env:NAME:-default}, \${file:path} or \${yaml:text}`);
  if (match[2]!.includes('$')) throw new ConfigError(path, `the reference "${reference}" contains unsupported characters ('$')`);
  try {
    return retrieve(uri, context);
  } catch (error) {
    if (error instanceof ProviderError) throw new ConfigError(path, `${reference}: ${error.message}`);
    throw error;
  }
}

function unescapeDollars(node: unknown): unknown {
  if (typeof node === 'string') return node.replaceAll('$$', '$');
  if (node instanceof ExpandedValue) return new ExpandedValue(unescapeDollars(node.value), node.original.replaceAll('$$', '$'));
  if (Array.isArray(node)) return node.map(unescapeDollars);
  if (isPlainMap(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) defineKey(out, key, unescapeDollars(item));
    return out;
  }
  return node;
}
