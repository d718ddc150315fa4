import { parseDocument } from 'yaml';

/** `${env:X…}` or `${X…}` (env is the default scheme), not escaped as `$${`. */
const ENV_REFERENCE = /(?<!\$)\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?=\}|:-)/g;

/**
 * The environment variables the config text takes the value at `keyPath` (dot-separated, as
 * StartError paths are) from, e.g. `DT_OTLP_HTTP_ENDPOINT` for the default config's
 * `receivers.otlp.protocols.http.endpoint`: an error about that key can say how to move it
 * without editing the file. Empty when the value is written out or the key is not in the text.
 */
export function envVariablesAt(yamlText: string, keyPath: string): string[] {
  const document = parseDocument(yamlText);
  if (document.errors.length > 0) return [];
  const value = document.getIn(keyPath.split('.'));
  if (typeof value !== 'string') return [];
  return [...value.matchAll(ENV_REFERENCE)].map((match) => match[1]!);
}
