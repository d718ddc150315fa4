// ESLint: correctness rules and the architecture's boundaries (docs/architecture.md §7).
// Formatting is not linted here.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import globals from 'globals';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The preset's settings but its resolver, which the TypeScript resolver below replaces.
const { 'import-x/resolver': _presetResolver, ...importXTypeScriptSettings } = importX.flatConfigs.typescript.settings;

const COLLECTOR_SRC = 'packages/collector/src';
/** The folders that hold one folder per component, as the OpenTelemetry Collector lays them out. */
const COMPONENT_KINDS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'];

function componentFolders() {
  const folders = [];
  for (const kind of COMPONENT_KINDS) {
    let entries = [];
    try {
      entries = readdirSync(join(import.meta.dirname, COLLECTOR_SRC, kind), { withFileTypes: true });
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    for (const entry of entries) if (entry.isDirectory()) folders.push({ kind, name: entry.name });
  }
  return folders;
}

/**
 * A component imports nothing from another component's folder: what two components share lives in
 * a shared module (packages/collector/src/shared, exporter-helper, component, …), and the pipeline
 * connects them from the config.
 */
function componentIsolationZones() {
  const zones = [];
  for (const { kind, name } of componentFolders()) {
    for (const otherKind of COMPONENT_KINDS) {
      zones.push({
        target: `./${COLLECTOR_SRC}/${kind}/${name}`,
        from: `./${COLLECTOR_SRC}/${otherKind}`,
        except: otherKind === kind ? [`./${name}`] : [],
        message: 'components never import each other; move what they share to a shared module (e.g. packages/collector/src/shared).',
      });
    }
  }
  return zones;
}

/**
 * The CLI reaches a component only through its factory (and its config type, the factory's
 * input), never its implementation files: what the CLI shares with a component lives in a shared
 * module.
 */
function cliZones() {
  return COMPONENT_KINDS.map((kind) => ({
    target: [`./${COLLECTOR_SRC}/cli.ts`, `./${COLLECTOR_SRC}/cli`],
    from: `./${COLLECTOR_SRC}/${kind}`,
    except: componentFolders()
      .filter((c) => c.kind === kind)
      .flatMap((c) => [`./${c.name}/factory.ts`, `./${c.name}/config.ts`]),
    message: 'the CLI reaches components only through their factories (or a shared module).',
  }));
}

export default defineConfig(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'test/.tmp/**', 'bench/.tmp/**', 'test-results/**', 'data/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: globals.node,
    },
    plugins: { 'import-x': importX },
    settings: {
      // import-x follows imports into TypeScript modules (for no-cycle) only with these settings.
      ...importXTypeScriptSettings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      // An unused name is often a bug; a leading underscore says "unused on purpose" (an interface's parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Style, not correctness: an escape that changes nothing is harmless.
      'no-useless-escape': 'off',
      // A variable a closure reads before its one assignment cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Our errors are rewritten into one sentence that already names the caught error's message;
      // a \`cause\` would print it twice (pino's err serializer and Node's inspect both append it).
      'preserve-caught-error': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': ['error', { zones: [...componentIsolationZones(), ...cliZones()] }],
    },
  },
  {
    // The web UI's modules run in the browser.
    files: ['packages/collector/ui/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests poke at values of any shape and match terminal escapes and fixed layouts.
    files: ['test/**', 'packages/*/test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
      'no-regex-spaces': 'off',
    },
  },
);
