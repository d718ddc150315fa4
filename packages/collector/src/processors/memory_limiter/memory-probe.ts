import { totalmem } from 'node:os';

/**
 * Memory the limiter watches: the JavaScript heap in use plus what Buffers hold outside it
 * (queued request bodies live there). It is the closest analogue of the Go heap allocation the
 * Collector measures, and unlike RSS it falls again once garbage is collected.
 */
export function allocatedBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Memory available to the process: its cgroup limit when it has one, else the machine's. */
export function availableMemoryBytes(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = totalmem();
  return constrained > 0 && constrained < total ? constrained : total;
}

/** A full garbage collection when node runs with --expose-gc; otherwise nothing can be forced. */
export function forceGc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
