import { parseDocument } from 'yaml';
import { ConfigError, ConfigErrors } from './config-error.js';
import { ProviderError, SCHEMES, URI_PATTERN, retrieve, type ProviderContext } from './config-providers.js';
import { expandReferences } from './expand-references.js';
import { defineKey, isPlainMap } from './expanded-value.js';
import { CONFIG_YAML_OPTIONS } from './yaml-value.js';
import { KEY_DELIMITER, MERGE_APPEND_GATE, mergeConfig, unflattenKeys, type MergeOptions } from './merge-config.js';

/** Where the config comes from, as the Collector takes it on its command line. */
export interface ConfigLocations {
  /** `--config` values in order: a path, or `file:path`, `env:NAME`, `yaml:key::path: value`. */
  configs: string[];
  /** `--set key.path=value` (or `key::path=value`) values, applied after every `--config`. */
  sets?: string[];
  /** `--feature-gates` values: `gate`, `+gate` or `-gate`, comma-separated (see parseFeatureGates). */
  featureGates?: string[];
}

export interface ConfigSource {
  /** How a user names it: `file:a.yaml`, `env:CONFIG`, `--set processors.batch.timeout=2s`. */
  name: string;
  /** Its map after `::` keys were split, before references were expanded. */
  tree: Record<string, unknown>;
  /** A file's text (start's error hints look for the variables a key takes its value from). */
  fileText?: string;
}

export interface ResolvedSources {
  sources: ConfigSource[];
  /** Merged and expanded; whole-value references are ExpandedValues. */
  root: Record<string, unknown>;
}

/** A `--config` value as the Collector reads it: no scheme (or a drive letter) means a file path. */
export function configUri(location: string): string {
  if (/^[A-Za-z]:/.test(location) || !location.includes(':')) return `file:${location}`;
  return location;
}

/**
 * The feature gates switched on by `--feature-gates` (the Collector's syntax: comma-separated,
 * `+gate` or `gate` on, `-gate` off, later wins). Only the gates this collector implements are
 * known; any other is refused by name rather than ignored.
 */
export function parseFeatureGates(values: string[]): Set<string> {
  const on = new Set<string>();
  for (const item of values
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter(Boolean)) {
    const name = item.replace(/^[+-]/, '');
    if (name !== MERGE_APPEND_GATE) throw new ProviderError(`--feature-gates: unknown feature gate "${name}" (this collector has ${MERGE_APPEND_GATE})`);
    if (item.startsWith('-')) on.delete(name);
    else on.add(name);
  }
  return on;
}

/** `--set a.b=c` as the Collector turns it into a yaml: source: `.` separates keys like `::`. */
export function setUri(set: string): string {
  const equals = set.indexOf('=');
  if (equals < 0) throw new ProviderError(`--set ${set}: missing equal sign (expected --set key.path=value)`);
  const key = set.slice(0, equals).trim().replaceAll('.', KEY_DELIMITER);
  return `yaml:${key}: ${set.slice(equals + 1).trim()}`;
}

/**
 * Reads every source, merges them in order (later wins, maps merged), then expands references,
 * as the Collector's confmap resolver does. Problems carry their YAML path and the source.
 */
export function resolveConfigSources(locations: ConfigLocations, context: ProviderContext): ResolvedSources {
  const entries = [
    ...locations.configs.map((location) => ({ name: configUri(location), read: () => readSource(configUri(location), configUri(location), context) })),
    ...(locations.sets ?? []).map((set) => ({ name: `--set ${set}`, read: () => readSource(setUri(set), `--set ${set}`, context) })),
  ];
  if (entries.length === 0) throw new ConfigErrors([new ConfigError('', 'no config: pass --config <file or URI>')]);
  let gates;
  try {
    gates = parseFeatureGates(locations.featureGates ?? []);
  } catch (error) {
    if (error instanceof ProviderError) throw new ConfigErrors([new ConfigError('', error.message)]);
    throw error;
  }
  return resolveEntries(entries, context, { appendLists: gates.has(MERGE_APPEND_GATE) });
}

/** One config given as text (a test, or an embedding program), resolved as a one-file config. */
export function resolveConfigText(text: string, context: ProviderContext): ResolvedSources {
  return resolveEntries([{ name: 'config', read: () => sourceFromText(text, 'config', false) }], context);
}

function resolveEntries(entries: Array<{ name: string; read: () => ConfigSource }>, context: ProviderContext, merge: MergeOptions = {}): ResolvedSources {
  const errors: ConfigError[] = [];
  const sources: ConfigSource[] = [];
  for (const entry of entries) {
    try {
      sources.push(entry.read());
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // With one source the caller names it already (`decision-trace: a.yaml: …`).
      errors.push(new ConfigError('', entries.length > 1 ? `${entry.name}: ${error.message}` : error.message));
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  let merged: Record<string, unknown> = {};
  for (const source of sources) merged = mergeConfig(merged, source.tree, merge);
  const root = expandLeaves(merged, context, errors, '');
  if (errors.length > 0) throw new ConfigErrors(annotateSources(errors, sources));
  return { sources, root };
}

function readSource(uri: string, name: string, context: ProviderContext): ConfigSource {
  const match = URI_PATTERN.exec(uri);
  if (!match) throw new ProviderError(`invalid config URI: expected a file path or scheme:value (${SCHEMES.join(':, ')}:)`);
  if (!(SCHEMES as readonly string[]).includes(match[1]!) && !['http', 'https'].includes(match[1]!)) {
    throw new ProviderError(
      `unsupported config URI scheme "${match[1]}": this collector reads ${SCHEMES.map((s) => `${s}:`).join(', ')} (a path without a scheme is a file)`,
    );
  }
  const { text } = retrieve(uri, context);
  return sourceFromText(text, name, match[1] === 'file');
}

function sourceFromText(text: string, name: string, isFile: boolean): ConfigSource {
  // Parsed here again, not taken from the provider, for the line and column of a syntax error.
  const document = parseDocument(text, { ...CONFIG_YAML_OPTIONS, prettyErrors: true });
  if (document.errors.length > 0) {
    // One broken bracket makes the parser complain about every line after it: the first error
    // (its message carries line, column and the offending line) is the one to fix.
    const [first] = document.errors;
    const more = document.errors.length - 1;
    const rest = more === 0 ? '' : `\n(${more} further syntax error${more === 1 ? '' : 's'} after it, usually caused by this one)`;
    throw new ProviderError(`YAML syntax error: ${first!.message.trimEnd()}${rest}`);
  }
  const value = document.toJS({ maxAliasCount: 100 }) ?? {};
  if (!isPlainMap(value)) throw new ProviderError('the config must be a YAML map');
  return { name, tree: unflattenKeys(value), fileText: isFile ? text : undefined };
}

/** Each value under the maps is expanded on its own, as the Collector expands key by key. */
function expandLeaves(node: Record<string, unknown>, context: ProviderContext, errors: ConfigError[], path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const at = path ? `${path}.${key}` : key;
    defineKey(out, key, isPlainMap(value) ? expandLeaves(value, context, errors, at) : expandReferences(value, context, errors, at));
  }
  return out;
}

/**
 * With several sources, each problem names the source its key came from: the last one that
 * sets the key (or the nearest map above it).
 */
export function annotateSources(errors: ConfigError[], sources: ConfigSource[]): ConfigError[] {
  if (sources.length < 2) return errors;
  return errors.map((error) => {
    if (error.path === '') return error;
    const source = sourceOf(error.path, sources);
    return source ? new ConfigError(error.path, `${error.reason} (from ${source})`) : error;
  });
}

function sourceOf(path: string, sources: ConfigSource[]): string | undefined {
  const segments = path.match(/[^.[\]]+/g) ?? [];
  let best: { name: string; depth: number } | undefined;
  for (const source of sources) {
    let node: unknown = source.tree;
    let depth = 0;
    for (const segment of segments) {
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) break;
      node = (node as Record<string, unknown>)[segment];
      depth++;
    }
    if (depth > 0 && (!best || depth >= best.depth)) best = { name: source.name, depth };
  }
  return best?.name;
}
