import type { z } from 'zod';
import { ConfigError, joinPath } from './config-error.js';

/** Turns zod issues into ConfigErrors whose paths are YAML paths under `base`. */
export function issuesToConfigErrors(base: string, error: z.ZodError): ConfigError[] {
  const out: ConfigError[] = [];
  for (const issue of error.issues) {
    const path = joinPath(base, ...(issue.path as Array<string | number>));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(new ConfigError(joinPath(path, key), 'unknown key'));
      continue;
    }
    out.push(new ConfigError(path, describeIssue(issue)));
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) return `required (expected ${issue.expected})`;
    return `expected ${issue.expected}, got ${describeValue(received)}`;
  }
  return issue.message;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}
