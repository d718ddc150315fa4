import type { DecisionEvent } from '@decision-trace/model';
import { DecisionSinkError, type DecisionSink } from './decision-sink.js';

/**
 * What this sink needs of `@decision-trace/store`'s `DecisionStore`: `append` of its
 * `LedgerWriter` role and `close` of its `ClosableStore` role. Written out rather than imported:
 * the store is an optional peer dependency, which an application without this sink never loads.
 */
export interface DecisionStoreLike {
  append(events: DecisionEvent[]): Promise<unknown>;
  close(): Promise<void>;
}

export type StoreDecisionSinkOptions =
  | {
      /** A storage URL as `openStore` takes it: `sqlite:./data/decisions.db`, `sqlite::memory:`. */
      url: string;
      /** `worker` (default): SQLite work happens off the application's event loop. */
      thread?: 'worker' | 'inline';
    }
  | {
      /** A store the application opened itself; it stays open after shutdown. */
      store: DecisionStoreLike;
    };

/**
 * The name is held in a variable so that neither TypeScript nor a bundler follows it: an
 * application that never uses this sink never loads the store package or its SQLite driver.
 */
const STORE_PACKAGE = '@decision-trace/store';

/**
 * Appends decision events to the embedded decision store. `@decision-trace/store` (an optional
 * peer dependency) is loaded on the first export, not before.
 */
export class StoreDecisionSink implements DecisionSink {
  private storePromise: Promise<DecisionStoreLike> | undefined;
  private readonly ownsStore: boolean;

  constructor(private readonly options: StoreDecisionSinkOptions) {
    this.ownsStore = 'url' in options;
    if ('store' in options) this.storePromise = Promise.resolve(options.store);
  }

  async export(events: readonly DecisionEvent[]): Promise<void> {
    const store = await this.open();
    await store.append([...events]);
  }

  async shutdown(): Promise<void> {
    if (!this.ownsStore || this.storePromise === undefined) return;
    const store = await this.storePromise.catch(() => undefined);
    await store?.close();
  }

  private open(): Promise<DecisionStoreLike> {
    if (this.storePromise === undefined) {
      const { url, thread } = this.options as { url: string; thread?: 'worker' | 'inline' };
      const opening = loadStorePackage().then((storePackage) => storePackage.openStore(url, { thread }));
      this.storePromise = opening;
      // A failed open is retried by the next export instead of being remembered forever.
      opening.catch(() => {
        if (this.storePromise === opening) this.storePromise = undefined;
      });
    }
    return this.storePromise;
  }
}

interface StorePackage {
  openStore(url: string, options: { thread?: 'worker' | 'inline' }): Promise<DecisionStoreLike>;
}

async function loadStorePackage(): Promise<StorePackage> {
  try {
    return (await import(STORE_PACKAGE)) as StorePackage;
  } catch (error) {
    throw new DecisionSinkError(`StoreDecisionSink needs the optional peer dependency ${STORE_PACKAGE}: npm install ${STORE_PACKAGE}`, {
      retryable: false,
      cause: error,
    });
  }
}
