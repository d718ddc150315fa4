import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { parseDecisionRegistry, type DecisionRegistry } from '@decision-trace/model';
import { joinPath } from '../config/config-error.js';

/** A registry file that cannot be used; `problems` are `path: reason` inside the file. */
export class RegistryFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`decision registry ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RegistryFileError';
  }
}

/** Reads and checks a decision registry YAML file (format: the model's contracts/registry.ts). */
export async function loadDecisionRegistry(file: string): Promise<DecisionRegistry> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RegistryFileError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  return parseDecisionRegistryYaml(text, file);
}

export function parseDecisionRegistryYaml(text: string, file: string): DecisionRegistry {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new RegistryFileError(
      file,
      document.errors.map((error) => `YAML syntax error: ${error.message}`),
    );
  }
  const parsed = parseDecisionRegistry(document.toJS({ maxAliasCount: 100 }));
  if (!parsed.ok) {
    throw new RegistryFileError(
      file,
      parsed.problems.map((problem) => {
        const path = joinPath(...problem.path);
        return path === '' ? problem.message : `${path}: ${problem.message}`;
      }),
    );
  }
  return parsed.registry;
}
