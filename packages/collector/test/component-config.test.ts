// Per-component config tests, as the OpenTelemetry Collector's config_test.go: each component
// folder holds testdata/config.yaml (named variants: `batch`, `batch/custom`,
// `batch/invalid_…`) and testdata/expected.yaml (for each variant, the typed config with its
// defaults filled, or the exact errors with their YAML paths). Each variant is loaded on its own
// through the real config path (parseCollectorConfig: YAML, the component's schema, the
// service's checks) inside a minimal collector config, so what is asserted is what `start` gets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ConfigErrors, defaultComponents, parseCollectorConfig, type CollectorConfig, type ComponentKind } from '@decision-trace/collector';

const registry = defaultComponents();
const sourceRoot = new URL('../src/', import.meta.url);

const SECTIONS: ReadonlyArray<[section: 'receivers' | 'processors' | 'exporters' | 'connectors' | 'extensions', kind: ComponentKind]> = [
  ['receivers', 'receiver'],
  ['processors', 'processor'],
  ['exporters', 'exporter'],
  ['connectors', 'connector'],
  ['extensions', 'extension'],
];

/** A variant's expectation: exactly one of the two. */
interface Expected {
  config?: unknown;
  errors?: string[];
}

/**
 * The smallest collector config that holds the variant: one traces pipeline of components the
 * variant cannot collide with (ids `…/harness`); an extension is enabled in `service.extensions`
 * so the config it takes from the pipelines (decision_api's storage) is filled in as at start.
 */
function collectorConfigWith(section: string, id: string, body: unknown): string {
  const root: Record<string, Record<string, unknown>> = {
    receivers: { 'otlp/harness': { protocols: { grpc: null } } },
    exporters: { 'debug/harness': null },
    service: { extensions: section === 'extensions' ? [id] : [], pipelines: { traces: { receivers: ['otlp/harness'], exporters: ['debug/harness'] } } },
  };
  root[section] = { ...root[section], [id]: body };
  return stringify(root);
}

/** The typed config as plain data (what YAML can write): Maps as maps, bigints and RegExps as text. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof RegExp) return v.toString();
      return v;
    }),
  );
}

function load(section: (typeof SECTIONS)[number][0], id: string, body: unknown): Expected {
  let config: CollectorConfig;
  try {
    config = parseCollectorConfig(collectorConfigWith(section, id, body), registry, {});
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return { errors: error.errors.map((e) => e.message) };
  }
  const component = config[section].get(id);
  assert.ok(component, `${section}.${id} was not resolved`);
  return { config: plain(component.config) };
}

for (const [section, kind] of SECTIONS) {
  const folder = new URL(`${section}/`, sourceRoot);
  const types = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  describe(`${section} config (testdata)`, () => {
    test('every component folder is a registered type, and every registered type has a folder', () => {
      assert.deepEqual(types, registry.types(kind));
    });

    for (const type of types) {
      const testdata = new URL(`${type}/testdata/`, folder);
      test(`${type}: testdata/config.yaml and expected.yaml name the same variants, valid and invalid`, () => {
        assert.ok(existsSync(new URL('config.yaml', testdata)), `${section}/${type}/testdata/config.yaml is missing`);
        assert.ok(existsSync(new URL('expected.yaml', testdata)), `${section}/${type}/testdata/expected.yaml is missing`);
        const variants = Object.keys(parse(readFileSync(new URL('config.yaml', testdata), 'utf8')) as object);
        const expected = parse(readFileSync(new URL('expected.yaml', testdata), 'utf8')) as Record<string, Expected>;
        assert.deepEqual(Object.keys(expected).sort(), variants.sort());
        for (const id of variants) assert.ok(id === type || id.startsWith(`${type}/`), `variant ${id} is not an id of type ${type}`);
        assert.ok(
          variants.some((id) => expected[id]!.config !== undefined),
          'at least one valid variant',
        );
        assert.ok(
          variants.some((id) => expected[id]!.errors !== undefined),
          'at least one invalid variant',
        );
      });

      if (!existsSync(new URL('config.yaml', testdata)) || !existsSync(new URL('expected.yaml', testdata))) continue;
      const variants = parse(readFileSync(new URL('config.yaml', testdata), 'utf8')) as Record<string, unknown>;
      const expected = parse(readFileSync(new URL('expected.yaml', testdata), 'utf8')) as Record<string, Expected>;
      for (const [id, body] of Object.entries(variants)) {
        test(`${section}.${id}`, () => {
          const want = expected[id];
          assert.ok(want, `no expectation for ${id} in expected.yaml`);
          assert.ok((want.config === undefined) !== (want.errors === undefined), `${id}: expected.yaml gives exactly one of config and errors`);
          assert.deepEqual(load(section, id, body), want);
        });
      }
    }
  });
}
