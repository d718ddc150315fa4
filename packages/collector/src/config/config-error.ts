/**
 * A configuration problem, always tied to the YAML path where it was found so a user can go
 * straight to the line: `receivers.otlp.protocols.http.bogus_key: unknown key`.
 */
export class ConfigError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(path ? `${path}: ${reason}` : reason);
    this.name = 'ConfigError';
    this.path = path;
    this.reason = reason;
  }
}

/** Several problems reported at once, so a user fixes a config in one pass. */
export class ConfigErrors extends Error {
  readonly errors: ConfigError[];

  constructor(errors: ConfigError[]) {
    super(`invalid configuration:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`);
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

export function joinPath(...parts: Array<string | number>): string {
  let out = '';
  for (const part of parts) {
    if (part === '') continue;
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
