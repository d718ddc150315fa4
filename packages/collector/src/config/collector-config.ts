import { z } from 'zod';
import type { ComponentKind, ConnectorFactory, ExporterFactory, ExtensionFactory, PipelineStore, Signal } from '../component/component.js';
import type { ComponentRegistry } from '../component/registry.js';
import { ConfigError, ConfigErrors, joinPath } from './config-error.js';
import { ExpandedValue, defineKey, isPlainMap, typedView } from './expanded-value.js';
import { annotateSources, resolveConfigSources, resolveConfigText, type ConfigLocations, type ResolvedSources } from './resolve-config.js';
import { resolveStorageReferences } from './storage-references.js';
import type { ResolvedComponent } from './resolved-component.js';
import { safeParseTyped } from './typed-parse.js';
import { durationSchema, endpointSchema, type Endpoint } from './values.js';
import { issuesToConfigErrors } from './zod-issues.js';
import { checkConnectorUses, exporterSignals, pipelineSignal, type PipelineUse } from './pipeline-signals.js';

export type { ResolvedComponent };

export interface PipelineConfig {
  id: string;
  /** What the pipeline carries, from its id (`traces`, `metrics/<name>`). */
  signal: Signal;
  /** Receivers and exporters may be connectors (ids of the `connectors` section). */
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** `json`: one JSON object a line; `console`: readable lines for a person at a terminal. */
export const LOG_ENCODINGS = ['json', 'console'] as const;
export const METRICS_LEVELS = ['none', 'basic', 'normal', 'detailed'] as const;
export const DEFAULT_METRICS_ADDRESS: Endpoint = { host: '127.0.0.1', port: 8888 };
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface MetricsTelemetryConfig {
  /** `none` turns the metrics endpoint off; the other levels serve the same metrics. */
  level: (typeof METRICS_LEVELS)[number];
  /** Where /metrics is served; undefined means the default address, which is allowed to be busy. */
  address?: Endpoint;
}

export interface CollectorConfig {
  receivers: Map<string, ResolvedComponent>;
  processors: Map<string, ResolvedComponent>;
  exporters: Map<string, ResolvedComponent>;
  extensions: Map<string, ResolvedComponent>;
  connectors: Map<string, ResolvedComponent>;
  service: {
    extensions: string[];
    pipelines: PipelineConfig[];
    telemetry: {
      /** No encoding: `console` when stdout is a terminal, `json` otherwise (see logger.ts). */
      logs: { level: (typeof LOG_LEVELS)[number]; encoding?: (typeof LOG_ENCODINGS)[number] };
      metrics: MetricsTelemetryConfig;
    };
    /** Milliseconds a graceful shutdown may spend flushing queues before what remains is left. */
    shutdown_timeout: number;
  };
}

const SECTIONS = [
  ['receivers', 'receiver'],
  ['processors', 'processor'],
  ['exporters', 'exporter'],
  ['extensions', 'extension'],
  ['connectors', 'connector'],
] as const;

const componentId = /^([a-z][a-z0-9_]*)(?:\/([A-Za-z0-9_.\-]+))?$/;

const pipelineSchema = z.strictObject({
  receivers: z.array(z.string()).min(1, 'a pipeline needs at least one receiver'),
  processors: z.array(z.string()).default([]),
  exporters: z.array(z.string()).min(1, 'a pipeline needs at least one exporter'),
});

const serviceSchema = z.strictObject({
  extensions: z.array(z.string()).default([]),
  pipelines: z.record(z.string(), z.unknown()),
  telemetry: z
    .strictObject({
      logs: z.strictObject({ level: z.enum(LOG_LEVELS).default('info'), encoding: z.enum(LOG_ENCODINGS).optional() }).default({ level: 'info' }),
      metrics: z.strictObject({ level: z.enum(METRICS_LEVELS).default('normal'), address: endpointSchema.optional() }).default({ level: 'normal' }),
    })
    .default({ logs: { level: 'info' }, metrics: { level: 'normal' } }),
  shutdown_timeout: durationSchema.default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
});

const topLevelKeys = new Set(['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service']);

/**
 * Parses and validates a collector config in the OpenTelemetry Collector's layout, given as one
 * YAML text (references such as `${env:X}` and `${file:p}` are expanded; relative files are read
 * from the working directory). Every problem found is reported together, each with its YAML path.
 */
export function parseCollectorConfig(yamlText: string, registry: ComponentRegistry, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  return interpretConfig(resolveConfigText(yamlText, { env, cwd: process.cwd() }), registry).config;
}

export interface ResolvedCollectorConfig {
  config: CollectorConfig;
  /** Every source merged, references expanded and typed as the components took them (print-config). */
  effective: Record<string, unknown>;
  sources: ResolvedSources['sources'];
}

/**
 * The config the Collector's command line describes: `--config` files and URIs merged in order,
 * then `--set` values (see resolve-config.ts), then validated as parseCollectorConfig does.
 */
export function resolveCollectorConfig(
  locations: ConfigLocations,
  registry: ComponentRegistry,
  context: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ResolvedCollectorConfig {
  return interpretConfig(resolveConfigSources(locations, { env: context.env ?? process.env, cwd: context.cwd ?? process.cwd() }), registry);
}

function interpretConfig(resolved: ResolvedSources, registry: ComponentRegistry): ResolvedCollectorConfig {
  try {
    return interpretRoot(resolved, registry);
  } catch (error) {
    if (error instanceof ConfigErrors) throw new ConfigErrors(annotateSources(error.errors, resolved.sources));
    throw error;
  }
}

function interpretRoot(resolved: ResolvedSources, registry: ComponentRegistry): ResolvedCollectorConfig {
  const errors: ConfigError[] = [];
  /** Whole-value references the components took as text (the rest are typed), by YAML path. */
  const useOriginal = new Set<string>();
  const root = typedSections(resolved.root);
  for (const key of Object.keys(root)) {
    if (!topLevelKeys.has(key)) errors.push(new ConfigError(key, 'unknown key'));
  }

  const sections = {} as Record<(typeof SECTIONS)[number][0], Map<string, ResolvedComponent>>;
  // Ids that are declared, valid or not: a pipeline naming an invalid component is not also
  // reported as a dangling reference.
  const declared = {} as Record<(typeof SECTIONS)[number][0], Set<string>>;
  for (const [section, kind] of SECTIONS) {
    sections[section] = resolveSection(section, kind, root[section], registry, errors, useOriginal);
    const value = root[section];
    declared[section] = new Set(value !== null && typeof value === 'object' ? Object.keys(value) : []);
  }

  let service: CollectorConfig['service'] | undefined;
  const serviceRaw = root.service;
  if (serviceRaw === undefined) {
    errors.push(new ConfigError('service', 'required: the service section defines the pipelines'));
  } else {
    const parsed = parseAt('service', serviceSchema, serviceRaw, useOriginal);
    if (!parsed.success) {
      errors.push(...issuesToConfigErrors('service', parsed.error));
    } else {
      const pipelines: PipelineConfig[] = [];
      const connectorUses = new Map<string, PipelineUse[]>();
      for (const id of declared.connectors) {
        for (const other of ['receivers', 'exporters'] as const) {
          if (declared[other].has(id))
            errors.push(new ConfigError(joinPath('connectors', id), `ambiguous id: "${id}" is both a connector and one of the ${other}`));
        }
      }
      for (const [id, body] of Object.entries(parsed.data.pipelines)) {
        const path = joinPath('service', 'pipelines', id);
        const signal = pipelineSignal(id);
        if (!signal) {
          errors.push(new ConfigError(path, 'unsupported pipeline: expected traces, metrics or logs, each optionally /<name>'));
          continue;
        }
        const p = parseAt(path, pipelineSchema, body ?? {}, useOriginal);
        if (!p.success) {
          errors.push(...issuesToConfigErrors(path, p.error));
          continue;
        }
        const receiversOrConnectors = new Set([...declared.receivers, ...declared.connectors]);
        const exportersOrConnectors = new Set([...declared.exporters, ...declared.connectors]);
        checkReferences(path, 'receivers', p.data.receivers, receiversOrConnectors, errors);
        checkReferences(path, 'processors', p.data.processors, declared.processors, errors);
        checkReferences(path, 'exporters', p.data.exporters, exportersOrConnectors, errors);
        checkSignals(path, signal, p.data, sections, connectorUses, errors);
        pipelines.push({ id, signal, ...p.data });
      }
      const connectorFactories = new Map([...sections.connectors].map(([id, c]) => [id, c.factory as ConnectorFactory]));
      checkConnectorUses(connectorFactories, connectorUses, errors);
      if (Object.keys(parsed.data.pipelines).length === 0) {
        errors.push(new ConfigError('service.pipelines', 'at least one pipeline is required'));
      }
      checkReferences('service', 'extensions', parsed.data.extensions, declared.extensions, errors);
      service = {
        extensions: parsed.data.extensions,
        pipelines,
        telemetry: parsed.data.telemetry,
        shutdown_timeout: parsed.data.shutdown_timeout,
      };
    }
  }

  if (errors.length > 0 || !service) throw new ConfigErrors(errors);
  resolveStorageReferences(sections, service.extensions, registry, errors);
  completeExtensionsFromPipelines(sections, service, errors);
  if (errors.length > 0) throw new ConfigErrors(errors);
  return { config: { ...sections, service }, effective: typedView(resolved.root, useOriginal) as Record<string, unknown>, sources: resolved.sources };
}

/**
 * The root with its section maps (and each section's component map) looked through: a section
 * may come whole from a reference (`receivers: ${file:receivers.yaml}`).
 */
function typedSections(root: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(root)) {
    defineKey(out, key, value instanceof ExpandedValue && isPlainMap(value.value) ? value.value : value);
  }
  return out;
}

/** safeParseTyped for the value at `path`, recording its text-taken references under that path. */
function parseAt<S extends z.ZodType>(path: string, schema: S, raw: unknown, useOriginal: Set<string>): ReturnType<S['safeParse']> {
  const local = new Set<string>();
  const result = safeParseTyped(schema, raw, local);
  for (const key of local) useOriginal.add(key === '' ? path : key.startsWith('[') ? `${path}${key}` : `${path}.${key}`);
  return result;
}

/**
 * The one place components learn about each other's config: an enabled extension may take a
 * default from the stores the pipelines' exporters write (see ExtensionFactory.withPipelineStores).
 */
function completeExtensionsFromPipelines(
  sections: Pick<CollectorConfig, 'exporters' | 'extensions'>,
  service: CollectorConfig['service'],
  errors: ConfigError[],
): void {
  const stores: PipelineStore[] = [];
  const seen = new Set<string>();
  for (const pipeline of service.pipelines) {
    for (const id of pipeline.exporters) {
      if (seen.has(id)) continue;
      seen.add(id);
      const exporter = sections.exporters.get(id);
      if (!exporter) continue; // a connector
      const url = (exporter.factory as ExporterFactory).writtenStore?.(exporter.config);
      if (url !== undefined) stores.push({ exporter: id, url });
    }
  }
  for (const id of service.extensions) {
    const extension = sections.extensions.get(id);
    const complete = (extension?.factory as ExtensionFactory | undefined)?.withPipelineStores;
    if (!extension || !complete) continue;
    try {
      extension.config = complete(extension.config, stores);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(new ConfigError(joinPath('extensions', id, error.path), error.reason));
    }
  }
}

/**
 * Whether each component of a pipeline handles the pipeline's signal (receivers and processors
 * handle traces only so far), and where the connectors are used (checked once all are known).
 */
function checkSignals(
  path: string,
  signal: Signal,
  pipeline: { receivers: string[]; processors: string[]; exporters: string[] },
  sections: Record<(typeof SECTIONS)[number][0], Map<string, ResolvedComponent>>,
  connectorUses: Map<string, PipelineUse[]>,
  errors: ConfigError[],
): void {
  const pipelineId = path.slice('service.pipelines.'.length);
  for (const side of ['receivers', 'exporters'] as const) {
    pipeline[side].forEach((id, index) => {
      if (sections.connectors.has(id)) {
        const uses = connectorUses.get(id) ?? [];
        uses.push({ pipeline: pipelineId, signal, side, index });
        connectorUses.set(id, uses);
        return;
      }
      if (side === 'receivers') {
        if (sections.receivers.has(id) && signal !== 'traces')
          errors.push(new ConfigError(joinPath(path, side, index), `receiver "${id}" does not receive ${signal} (it receives traces)`));
        return;
      }
      const exporter = sections.exporters.get(id);
      if (!exporter) return;
      const supported = exporterSignals(exporter.factory as ExporterFactory);
      if (!supported.includes(signal)) {
        errors.push(new ConfigError(joinPath(path, side, index), `exporter "${id}" does not export ${signal} (it exports ${supported.join(', ')})`));
      }
    });
  }
  if (signal !== 'traces') {
    pipeline.processors.forEach((id, index) => {
      if (sections.processors.has(id))
        errors.push(new ConfigError(joinPath(path, 'processors', index), `processor "${id}" does not process ${signal} (it processes traces)`));
    });
  }
}

function resolveSection(
  section: string,
  kind: ComponentKind,
  value: unknown,
  registry: ComponentRegistry,
  errors: ConfigError[],
  useOriginal: Set<string>,
): Map<string, ResolvedComponent> {
  const out = new Map<string, ResolvedComponent>();
  if (value === undefined || value === null) return out;
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(new ConfigError(section, 'expected a map of component ids to their settings'));
    return out;
  }
  for (const [id, body] of Object.entries(value)) {
    const path = joinPath(section, id);
    const match = componentId.exec(id);
    if (!match) {
      errors.push(new ConfigError(path, 'invalid component id: expected type or type/name'));
      continue;
    }
    const factory = registry.get(kind, match[1]);
    if (!factory) {
      errors.push(new ConfigError(path, `unknown ${kind} type "${match[1]}" (known: ${registry.types(kind).join(', ')})`));
      continue;
    }
    const parsed = parseAt(path, factory.configSchema, body ?? {}, useOriginal);
    if (!parsed.success) {
      errors.push(...issuesToConfigErrors(path, parsed.error));
      continue;
    }
    out.set(id, { id, kind, factory, config: parsed.data });
  }
  return out;
}

function checkReferences(path: string, key: string, ids: string[], defined: Set<string>, errors: ConfigError[]): void {
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (!defined.has(id)) {
      errors.push(new ConfigError(joinPath(path, key, index), `"${id}" is not defined in the top-level ${key} section`));
    }
    if (seen.has(id)) errors.push(new ConfigError(joinPath(path, key, index), `"${id}" is listed twice`));
    seen.add(id);
  });
}
