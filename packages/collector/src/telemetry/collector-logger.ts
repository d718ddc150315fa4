import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { LOG_ENCODINGS, LOG_LEVELS } from '../config/collector-config.js';

export interface LogsConfig {
  level: (typeof LOG_LEVELS)[number];
  encoding?: (typeof LOG_ENCODINGS)[number];
}

/**
 * The collector's logger on stdout. `json` (one object a line) is what log shippers read and the
 * default whenever stdout is not a terminal (a pipe, a file, systemd, a container runtime);
 * someone who runs the collector in a terminal reads `console` lines by default. Either can be
 * forced with service.telemetry.logs.encoding.
 */
export function collectorLogger(logs: LogsConfig, base: Record<string, unknown>, stdoutIsTTY = process.stdout.isTTY === true): Logger {
  const encoding = logs.encoding ?? (stdoutIsTTY ? 'console' : 'json');
  if (encoding === 'json') return pino({ level: logs.level, base });
  // In process and synchronous, like pino's own stdout writes: a crash loses no line, and no
  // transport worker thread is started for it.
  const pretty = PinoPretty({ colorize: stdoutIsTTY, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
  return pino({ level: logs.level, base }, pretty);
}
