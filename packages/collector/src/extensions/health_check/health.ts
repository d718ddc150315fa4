import type { StatusBoard } from '../../telemetry/status-board.js';
import type { HealthCheckConfig } from './config.js';

export interface HealthReport {
  healthy: boolean;
  status: string;
  phase: string;
  since: string;
  /** Components that currently count against health. */
  failing: Record<string, { consecutive_failures: number; last_error?: string; since: string }>;
}

/** Healthy when the pipelines run and no component has failed `threshold` times in a row. */
export function healthReport(board: StatusBoard, config: HealthCheckConfig['check_collector_pipeline']): HealthReport {
  const failing: HealthReport['failing'] = {};
  if (config.enabled) {
    for (const [id, health] of board.snapshot()) {
      if (health.state === 'failing' && health.consecutiveFailures >= config.exporter_failure_threshold) {
        failing[id] = { consecutive_failures: health.consecutiveFailures, last_error: health.lastError, since: new Date(health.since).toISOString() };
      }
    }
  }
  const running = board.phase === 'running';
  const healthy = running && Object.keys(failing).length === 0;
  return {
    healthy,
    status: healthy ? 'Server available' : running ? 'A pipeline cannot deliver' : `Server not available (${board.phase})`,
    phase: board.phase,
    since: new Date(board.phaseChangedAt).toISOString(),
    failing,
  };
}
