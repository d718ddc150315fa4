import { MetricsRegistry } from '../telemetry/metrics-registry.js';
import { StatusBoard } from '../telemetry/status-board.js';
import type { Host } from './component.js';

/**
 * The host of components run outside the service (the offline `sampling test` command, tests):
 * a registry of their own to count into, a board to report to, no stores, and posted events as
 * given (no pipeline redacts them).
 */
export function offlineHost(): Host {
  return {
    metrics: new MetricsRegistry(),
    status: new StatusBoard(),
    async openStore() {
      throw new Error('no store outside the collector service');
    },
    redactPostedEvents: (events) => events,
  };
}
