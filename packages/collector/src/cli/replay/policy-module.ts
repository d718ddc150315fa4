import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DecisionRecord } from '@decision-trace/model';

/** What a replay policy is given: the stored decision's evidence, and the whole record. */
export interface PolicyInput {
  evidence: Record<string, unknown>;
  record: DecisionRecord;
}

export type ReplayPolicy = (input: PolicyInput) => unknown;

/** The policy file cannot be used: a usage error (exit 2), with what is wrong. */
export class PolicyModuleError extends Error {}

/**
 * Loads the user's policy module: its default export or its named export `decide`, a function
 * of `{ evidence, record }`. The module is imported once, as the user wrote it (ES module or
 * CommonJS, by Node's own rules).
 */
export async function loadPolicy(file: string): Promise<ReplayPolicy> {
  const path = resolve(file);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new PolicyModuleError(`policy ${file} is not a file`);
  } catch (error) {
    if (error instanceof PolicyModuleError) throw error;
    throw new PolicyModuleError(
      `cannot read policy ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PolicyModuleError(`cannot load policy ${file}: ${(error as Error).message}`);
  }
  // A CommonJS `module.exports = { decide }` arrives as the default export's property.
  const commonJs = module.default as { decide?: unknown } | undefined;
  const candidate = typeof module.default === 'function' ? module.default : (module.decide ?? commonJs?.decide);
  if (typeof candidate !== 'function') {
    const exported = Object.keys(module).filter((key) => key !== '__esModule');
    const found = exported.length === 0 ? 'it exports nothing' : `it exports ${exported.join(', ')}`;
    throw new PolicyModuleError(
      `policy ${file} has no policy function: export default (or export \`decide\`) a function ({ evidence, record }) => outcome; ${found}`,
    );
  }
  return candidate as ReplayPolicy;
}
