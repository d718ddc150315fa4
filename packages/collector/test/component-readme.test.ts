// Each component README's key table (`| key | default | meaning |`) against the component's
// config schema, as the factory gives it: every key the README names is a key of the schema,
// every key of the schema is named (itself, or an object above it documented as a whole or
// with `.*`), and where the schema fills in a default the README gives that default.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { defaultComponents, type ComponentKind } from '@decision-trace/collector';

const registry = defaultComponents();
const sourceRoot = new URL('../src/', import.meta.url);
const KINDS: ReadonlyArray<[section: string, kind: ComponentKind]> = [
  ['receivers', 'receiver'],
  ['processors', 'processor'],
  ['exporters', 'exporter'],
  ['connectors', 'connector'],
  ['extensions', 'extension'],
];

/** One key of a schema: `a.b`, with `[]` after a list (`auth.api_keys[].name`). */
interface SchemaKey {
  object: boolean;
  /** The default the schema fills in, when it does. */
  default?: { value: unknown };
  /** Declared only to refuse a Collector key by name (unsupported-keys.ts): not documented as a key. */
  refused: boolean;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema's keys, walking through defaults, optionals and transforms to the input's shape. */
function schemaKeys(schema: z.ZodType, path = '', out = new Map<string, SchemaKey>(), pending?: SchemaKey['default']): Map<string, SchemaKey> {
  const def = defOf(schema);
  switch (def.type) {
    case 'default':
    case 'prefault':
      return schemaKeys(def.innerType!, path, out, pending ?? { value: def.defaultValue });
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'nonoptional':
      return schemaKeys(def.innerType!, path, out, pending);
    case 'pipe': {
      // z.preprocess is a transform into the schema; a schema with .transform is the schema into one.
      const into = defOf(def.in!).type === 'transform' ? def.out! : def.in!;
      return schemaKeys(into, path, out, pending);
    }
    case 'object':
      if (path) out.set(path, { object: true, default: pending, refused: false });
      for (const [key, child] of Object.entries(def.shape!)) schemaKeys(child, path ? `${path}.${key}` : key, out);
      return out;
    case 'array':
      out.set(path, { object: false, default: pending, refused: false });
      if (defOf(def.element!).type === 'object') schemaKeys(def.element!, `${path}[]`, out);
      return out;
    default:
      out.set(path, { object: false, default: pending, refused: def.type === 'unknown' });
      return out;
  }
}

interface ReadmeRow {
  keys: string[];
  default: string;
  line: number;
}

/** The rows of every `| key | default | meaning |` table of a README. */
function readmeKeyRows(text: string): ReadmeRow[] {
  const rows: ReadmeRow[] = [];
  const lines = text.split('\n');
  let inTable = false;
  lines.forEach((line, index) => {
    if (/^\|\s*key\s*\|\s*default\s*\|/.test(line)) {
      inTable = true;
      return;
    }
    if (!line.startsWith('|')) {
      inTable = false;
      return;
    }
    if (!inTable || /^\|\s*-+\s*\|/.test(line)) return;
    const [keyCell = '', defaultCell = ''] = line
      .split(/(?<!\\)\|/)
      .slice(1)
      .map((cell) => cell.trim());
    const named = [...keyCell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
    // `a.b.c` / `d`: a bare name after a dotted one is its sibling (`tls.cert_file` / `key_file`).
    const keys = named.map((key, i) =>
      i > 0 && !key.includes('.') && named[0]!.includes('.') ? `${named[0]!.slice(0, named[0]!.lastIndexOf('.'))}.${key}` : key,
    );
    rows.push({ keys, default: defaultCell, line: index + 1 });
  });
  return rows;
}

/**
 * Defaults a component's code applies when the key is absent, rather than its schema (because
 * they depend on the mode the config picks): the README states them, the schema cannot.
 */
const DEFAULTS_IN_CODE: Record<string, Record<string, string>> = {
  'processors/decision': { unknown_types: 'the processor reads it absent as flag; the key is only allowed with registry' },
  'exporters/decisions': {
    store_context_spans: 'the embedded store keeps context spans unless it is false',
    headers: 'remote mode only (remoteSettings)',
    compression: 'remote mode only (remoteSettings)',
    timeout: 'remote mode only (remoteSettings)',
  },
};

/** The config a component gets from its bare id (`type:` in config.yaml), as expected.yaml records it. */
function defaultConfig(section: string, type: string): unknown {
  const expected = parse(readFileSync(new URL(`${section}/${type}/testdata/expected.yaml`, sourceRoot), 'utf8')) as Record<string, { config?: unknown }>;
  return expected[type]?.config;
}

function valueAt(config: unknown, path: string): unknown {
  let node = config;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Whether a README default cell states the schema's default value. */
function statesDefault(cell: string, value: unknown): boolean {
  const literal = /^`([^`]*)`/.exec(cell)?.[1];
  if (literal === undefined) return false;
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(literal);
  if (duration && typeof value === 'number') return Number(duration[1]) * DURATION_MS[duration[2]!]! === value;
  if (value !== null && typeof value === 'object' && 'host' in value && 'port' in value) return literal === `${String(value.host)}:${String(value.port)}`;
  if (Array.isArray(value) && literal.includes('…')) {
    // `[0.1, 0.2, …, 0.9]`: the ends as written.
    const [head = [], tail = []] = literal
      .slice(1, -1)
      .split('…')
      .map((part) =>
        part
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map(Number),
      );
    return head.every((n, i) => value[i] === n) && tail.every((n, i) => value[value.length - tail.length + i] === n);
  }
  if (typeof value === 'object') return literal === JSON.stringify(value).replaceAll(',', ', ');
  return literal === String(value);
}

for (const [section, kind] of KINDS) {
  const types = readdirSync(new URL(`${section}/`, sourceRoot), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  describe(`${section}: README key tables`, () => {
    for (const type of types) {
      test(`${type}: README keys and defaults match the config schema`, () => {
        const factory = registry.get(kind, type);
        assert.ok(factory, `${section}/${type} is not registered`);
        const keys = schemaKeys(factory.configSchema);
        const readme = `${section}/${type}/README.md`;
        const rows = readmeKeyRows(readFileSync(new URL(readme, sourceRoot), 'utf8'));
        assert.ok(rows.length > 0, `${readme} has no | key | default | meaning | table`);
        const problems: string[] = [];
        const named = new Set<string>();
        for (const row of rows) {
          for (const key of row.keys) {
            const whole = key.endsWith('.*') ? key.slice(0, -2) : key;
            named.add(key);
            const schemaKey = keys.get(whole);
            if (!schemaKey) {
              problems.push(`${readme}:${row.line}: \`${key}\` is not a key of the schema`);
              continue;
            }
            if (schemaKey.default !== undefined && !schemaKey.object && !statesDefault(row.default, schemaKey.default.value)) {
              problems.push(
                `${readme}:${row.line}: \`${key}\` defaults to ${JSON.stringify(schemaKey.default.value)} in the schema, the README says ${row.default || 'nothing'}`,
              );
            } else if (schemaKey.default === undefined && !schemaKey.object && /^`[^`]*`$/.test(row.default)) {
              // A default the schema leaves out: filled in when the config is loaded (then the
              // component's default config in testdata holds it), or applied by the component's code.
              const loaded = valueAt(defaultConfig(section, type), whole);
              if (loaded !== undefined) {
                if (!statesDefault(row.default, loaded))
                  problems.push(`${readme}:${row.line}: \`${key}\` defaults to ${JSON.stringify(loaded)} when loaded, the README says ${row.default}`);
              } else if (!DEFAULTS_IN_CODE[`${section}/${type}`]?.[whole]) {
                problems.push(`${readme}:${row.line}: \`${key}\` has no default in the schema, the README says ${row.default}`);
              }
            }
          }
        }
        for (const [path, key] of keys) {
          if (key.object || key.refused || named.has(path)) continue;
          const ancestors = [...path.matchAll(/[.[]/g)].map((m) => path.slice(0, m.index));
          // Covered by `a.*`, or by the nearest ancestor the README names when it names nothing below it.
          if (ancestors.some((a) => named.has(`${a}.*`))) continue;
          const nearest = ancestors.reverse().find((a) => named.has(a));
          if (nearest !== undefined && ![...named].some((n) => n.startsWith(`${nearest}.`) || n.startsWith(`${nearest}[]`))) continue;
          problems.push(`${readme}: \`${path}\` is a key of the schema the README does not name`);
        }
        for (const key of Object.keys(DEFAULTS_IN_CODE[`${section}/${type}`] ?? {})) {
          if (keys.get(key)?.default !== undefined) problems.push(`\`${key}\` has a default in the schema now: take it off DEFAULTS_IN_CODE`);
          if (!named.has(key)) problems.push(`\`${key}\` is on DEFAULTS_IN_CODE but not in the README`);
        }
        assert.deepEqual(problems, []);
      });
    }
  });
}
