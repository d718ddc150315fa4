import { withoutPassword } from '@decision-trace/store';

/**
 * A component could not start because of what one of its settings points at: a storage path
 * that cannot be written, a database that does not answer. Like a ConfigError it names the
 * setting's YAML path (`exporters.decisions.storage: …`), so the user goes straight to the key;
 * unlike one, the config itself is valid, so the collector exits with 1 (a failed start), not 2.
 */
export class StartError extends Error {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
    this.name = 'StartError';
    this.path = path;
    this.reason = reason;
  }
}

/** Runs a start step that depends on the setting at `path`, naming that setting if it fails. */
export async function atSetting<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof StartError) throw error;
    throw new StartError(path, describe(error), { cause: error });
  }
}

/** Opens a store URL from the setting at `path`; the failure says which store and which key. */
export async function openStoreAt<T>(path: string, url: string, open: (url: string) => Promise<T>): Promise<T> {
  try {
    return await open(url);
  } catch (error) {
    const message = describe(error);
    const shown = withoutPassword(url);
    // The PostgreSQL store names its URL already; SQLite's own errors ("unable to open
    // database file") do not say which file.
    throw new StartError(path, message.includes(shown) ? message : `cannot open the store ${shown}: ${message}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
