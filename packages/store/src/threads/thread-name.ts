import { writeFileSync } from 'node:fs';

/**
 * Names the calling thread as the OS shows it (`top -H`, `ps -L`, /proc/<pid>/task/<tid>/comm):
 * Node 20 names every thread of the process "node", so without this the store's threads cannot
 * be told apart from V8's and libuv's when their CPU time is read (the benchmarks do, per thread).
 * Linux only; elsewhere, or where /proc is not writable, the thread keeps its name. A synchronous
 * write runs on the calling thread, so /proc/thread-self is this thread. At most 15 characters.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or /proc not mounted: the name is only a convenience.
  }
}
