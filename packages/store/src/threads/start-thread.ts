import { Worker } from 'node:worker_threads';

/** Tests run the TypeScript sources through tsx; `npm start` runs dist. */
const RUNNING_FROM_SOURCES = import.meta.url.endsWith('.ts');

/** The module `name` (without extension) next to `base`, as a worker thread entry. */
export function threadEntry(name: string, base: string): URL {
  return new URL(`${name}${RUNNING_FROM_SOURCES ? '.ts' : '.js'}`, base);
}

/** Starts a worker thread on `entry`, from dist or (in tests) from the TypeScript sources. */
export function startThread(entry: URL, workerData: unknown): Worker {
  if (!RUNNING_FROM_SOURCES) return new Worker(entry, { workerData });
  // The worker inherits `--import tsx`, but on Node 20 tsx registers its loader in the main
  // thread only; without it the worker could not load a .ts entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
