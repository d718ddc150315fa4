import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';

// The architecture's boundaries are rules in eslint.config.js (docs/architecture.md §7):
// these lint code placed where it would break one and expect the rule to say so, and lint code
// that keeps to them and expect silence. `npm run lint` runs the same rules over the tree.
const REPO_ROOT = new URL('../', import.meta.url).pathname;
const COLLECTOR_SRC = join(REPO_ROOT, 'packages/collector/src');
const eslint = new ESLint({ cwd: REPO_ROOT });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test("a component importing another component's folder is an error, naming the shared module as the way out", async () => {
  const found = await problems(
    join(COLLECTOR_SRC, 'extensions/decision_api/example.ts'),
    "import { decisionsExporterSchema } from '../../exporters/decisions/config.js';\nexport const schema = decisionsExporterSchema;\n",
  );
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /^import-x\/no-restricted-paths: .*components never import each other/);
});

test('a component importing another component of its own kind is an error too', async () => {
  const found = await problems(
    join(COLLECTOR_SRC, 'exporters/load_balancing/example.ts'),
    "import { otlpGrpcExporterFactory } from '../otlp/factory.js';\nexport const factory = otlpGrpcExporterFactory;\n",
  );
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /^import-x\/no-restricted-paths: /);
});

test('a component importing its own files, the component module and shared modules is fine', async () => {
  const found = await problems(
    join(COLLECTOR_SRC, 'extensions/decision_api/example.ts'),
    [
      "import { decisionApiSchema } from './config.js';",
      "import type { ExtensionFactory } from '../../component/component.js';",
      "import { DEFAULT_STORAGE } from '../../shared/default-storage.js';",
      'export const used: [unknown, ExtensionFactory | undefined, string] = [decisionApiSchema, undefined, DEFAULT_STORAGE];',
      '',
    ].join('\n'),
  );
  assert.deepEqual(found, []);
});

test("the CLI may use a component's factory and config, not its implementation files", async () => {
  const allowed = await problems(
    join(COLLECTOR_SRC, 'cli/example.ts'),
    [
      "import { decisionProcessorFactory } from '../processors/decision/factory.js';",
      "import type { DecisionProcessorConfig } from '../processors/decision/config.js';",
      'export const used: [unknown, DecisionProcessorConfig | undefined] = [decisionProcessorFactory, undefined];',
      '',
    ].join('\n'),
  );
  assert.deepEqual(allowed, []);
  const refused = await problems(
    join(COLLECTOR_SRC, 'cli/example.ts'),
    "import { DecisionApiServer } from '../extensions/decision_api/api-server.js';\nexport const server = DecisionApiServer;\n",
  );
  assert.equal(refused.length, 1, refused.join('\n'));
  assert.match(refused[0]!, /^import-x\/no-restricted-paths: .*the CLI reaches components only through their factories/);
});

test('an import cycle is an error', async () => {
  // reduce.ts imports a value from event.ts; event.ts importing one from reduce.ts closes a cycle.
  const eventFile = join(REPO_ROOT, 'packages/model/src/event.ts');
  const found = await problems(eventFile, "import { applyEvent } from './reduce.js';\nexport const apply = applyEvent;\n");
  assert.ok(
    found.some((p) => p.startsWith('import-x/no-cycle: ')),
    `expected a cycle through reduce.ts, which imports event.ts: ${found.join('\n')}`,
  );
});

// import-x/no-cycle follows value imports only. This follows every import, `import type`
// included, with TypeScript's own module resolution, so a cycle of types shows too.
test('no package source imports itself through a cycle, counting type-only imports', () => {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
  const sources = readdirSync(join(REPO_ROOT, 'packages'), { recursive: true, encoding: 'utf8' })
    .filter((path) => /^[^/]+\/src\/.*\.ts$/.test(path) && !path.endsWith('.d.ts'))
    .map((path) => join(REPO_ROOT, 'packages', path));
  const known = new Set(sources);
  const imports = new Map<string, string[]>();
  for (const file of sources) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets: string[] = [];
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved !== undefined && known.has(resolved)) targets.push(resolved);
    }
    imports.set(file, targets);
  }
  assert.ok(imports.size > 300, `read ${imports.size} source files`);

  // Depth-first search; a file met again while still on the path closes a cycle.
  const done = new Set<string>();
  const onPath: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    const at = onPath.indexOf(file);
    if (at >= 0) {
      cycles.push([...onPath.slice(at), file].map((f) => relative(REPO_ROOT, f)).join(' → '));
      return;
    }
    if (done.has(file)) return;
    onPath.push(file);
    for (const target of imports.get(file)!) visit(target);
    onPath.pop();
    done.add(file);
  };
  for (const file of sources) visit(file);
  assert.deepEqual(cycles, []);
});
