import { resolve } from 'node:path';
import { openStore, type DecisionStore } from '@decision-trace/store';

/** Opens each storage URL once per process, so the exporter and the API share one handle. */
export class StoreProvider {
  private readonly stores = new Map<string, Promise<DecisionStore>>();

  open(url: string): Promise<DecisionStore> {
    const key = normalise(url);
    let store = this.stores.get(key);
    if (!store) {
      store = openStore(url);
      this.stores.set(key, store);
      store.catch(() => this.stores.delete(key));
    }
    return store;
  }

  async closeAll(): Promise<void> {
    const open = [...this.stores.values()];
    this.stores.clear();
    await Promise.allSettled(open.map(async (s) => (await s).close()));
  }
}

function normalise(url: string): string {
  if (url.startsWith('sqlite:') && url !== 'sqlite::memory:') return `sqlite:${resolve(url.slice('sqlite:'.length))}`;
  return url;
}
