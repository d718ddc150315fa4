import { ConfigError } from './config-error.js';

const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Expands `${env:VAR}` and `${env:VAR:-default}` in a string, as the OpenTelemetry Collector
 * does. `$${...}` escapes a literal `${...}`. An unset variable without a default expands to
 * the empty string (the Collector's behaviour), so validation then reports the key that ended
 * up empty rather than the reference.
 */
export function substituteEnv(value: string, env: NodeJS.ProcessEnv, path: string): string {
  if (!value.includes('${')) return value;
  return value.replace(/\$?\$\{([^}]*)\}/g, (match, inner: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    const ref = ENV_REFERENCE.exec(inner);
    if (!ref) {
      throw new ConfigError(path, `unsupported reference "\${${inner}}": expected \${env:NAME} or \${env:NAME:-default}`);
    }
    const [, name, fallback] = ref;
    const current = env[name];
    if (current !== undefined && current !== '') return current;
    return fallback ?? '';
  });
}

/**
 * Walks a parsed YAML document and substitutes every string. Problems are collected with their
 * YAML paths (the value is left as written) so every one of them is reported at once.
 */
export function substituteEnvDeep(node: unknown, env: NodeJS.ProcessEnv, errors: ConfigError[], path = ''): unknown {
  if (typeof node === 'string') {
    try {
      return substituteEnv(node, env, path);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
      return node;
    }
  }
  if (Array.isArray(node)) return node.map((item, i) => substituteEnvDeep(item, env, errors, `${path}[${i}]`));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      // Defined, not assigned: `out["__proto__"] = …` would set the prototype, so a `__proto__`
      // key would pass as no key at all and its entries as inherited ones of its parent.
      Object.defineProperty(out, key, {
        value: substituteEnvDeep(child, env, errors, path ? `${path}.${key}` : key),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return node;
}
