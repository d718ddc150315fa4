import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { retrievedFromYaml, type Retrieved } from './yaml-value.js';

/**
 * The config sources the OpenTelemetry Collector's default build reads, by URI scheme, for
 * `--config` and for `${scheme:…}` references alike: `env:NAME[:-default]`, `file:path` and
 * `yaml:text`. http(s) is refused with what to do instead.
 */
export interface ProviderContext {
  env: NodeJS.ProcessEnv;
  /** Relative `file:` paths are read from here. */
  cwd: string;
}

/** A problem retrieving one source; the caller adds where the reference was. */
export class ProviderError extends Error {}

const ENV_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A scheme: a letter then at least one letter, digit, `+`, `.` or `-` (one letter is a Windows drive). */
export const URI_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]+):(.*)$/s;
export const SCHEMES = ['env', 'file', 'yaml'] as const;

export function retrieve(uri: string, context: ProviderContext): Retrieved {
  const match = URI_PATTERN.exec(uri);
  if (!match) throw new ProviderError(`invalid config URI "${uri}": expected scheme:value (env:, file:, yaml:)`);
  const [, scheme, rest] = match;
  switch (scheme) {
    case 'env':
      return retrieveEnv(rest!, context.env);
    case 'file':
      return retrieveFile(rest!, context.cwd);
    case 'yaml':
      return retrievedFromYaml(rest!);
    case 'http':
    case 'https':
      throw new ProviderError(`config URI scheme "${scheme}" is not supported by this collector: download the file and pass file:<path>`);
    default:
      throw new ProviderError(`unsupported config URI scheme "${scheme}" in "${uri}": this collector reads env:, file: and yaml:`);
  }
}

/**
 * As the Collector's env provider: a set variable is read as YAML even when it is empty (so
 * `${env:X:-d}` with X set to "" is empty, not d); an unset one takes the default, read as YAML
 * too except an empty default, which is the empty string; unset without a default is empty.
 */
function retrieveEnv(reference: string, env: NodeJS.ProcessEnv): Retrieved {
  const separator = reference.indexOf(':-');
  const name = separator < 0 ? reference : reference.slice(0, separator);
  const fallback = separator < 0 ? undefined : reference.slice(separator + 2);
  if (!ENV_NAME.test(name))
    throw new ProviderError(`environment variable "${name}" has an invalid name: expected letters, digits and _, not starting with a digit`);
  const value = env[name];
  if (value !== undefined) return retrievedFromYaml(value);
  if (fallback === '') return { value: '', text: '' };
  return retrievedFromYaml(fallback ?? '');
}

function retrieveFile(path: string, cwd: string): Retrieved {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new ProviderError(`cannot read the file ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return retrievedFromYaml(text);
}
