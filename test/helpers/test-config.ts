import { stringify } from 'yaml';

/** What `startCollector` hands a config builder: free ports and the SQLite file of the run. */
export interface CollectorPorts {
  http: number;
  grpc: number;
  api: number;
  dbPath: string;
}

/** A partial config: objects merge into the default key by key; anything else replaces; `undefined` removes. */
export type ConfigOverrides = { [key: string]: unknown };

/**
 * The collector most end-to-end tests start: otlp (HTTP and gRPC) → decision → decisions into
 * SQLite, and the decision API reading the same file. A test states only what it changes, so
 * the shape of the default lives in one place.
 */
export function testCollectorConfig(p: CollectorPorts, overrides: ConfigOverrides = {}): string {
  return stringify(merge(defaultConfigObject(p), overrides));
}

/** `testCollectorConfig` with the `otlp` receiver's block replaced whole by `otlp` (not merged). */
export function testCollectorConfigWithReceiver(p: CollectorPorts, otlp: unknown, overrides: ConfigOverrides = {}): string {
  const config = merge(defaultConfigObject(p), overrides) as { receivers: Record<string, unknown> };
  config.receivers = { ...config.receivers, otlp };
  return stringify(config);
}

function defaultConfigObject(p: CollectorPorts): Record<string, unknown> {
  return {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `127.0.0.1:${p.grpc}` },
          http: { endpoint: `127.0.0.1:${p.http}` },
        },
      },
    },
    processors: { decision: {} },
    exporters: { decisions: { storage: `sqlite:${p.dbPath}` } },
    extensions: { decision_api: { endpoint: `127.0.0.1:${p.api}`, storage: `sqlite:${p.dbPath}` } },
    service: {
      extensions: ['decision_api'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['decision'], exporters: ['decisions'] } },
      // Never the default 127.0.0.1:8888: a collector the user left running keeps its metrics,
      // and no test reads another process's numbers. Tests that read /metrics set their own port.
      telemetry: { logs: { level: 'warn' }, metrics: { address: '127.0.0.1:0' } },
    },
  };
}

function merge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) delete out[key];
    else out[key] = merge(base[key], value);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
