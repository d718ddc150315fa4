import { z } from 'zod';

/**
 * Reusable config value schemas. Each one gives the reason a user needs to fix the value;
 * the YAML path is added by the loader.
 */

export interface Endpoint {
  host: string;
  port: number;
}

/** `host:port`, `[::1]:port` or `:port` (all interfaces), as the Collector writes endpoints. */
export function parseEndpoint(value: string): Endpoint | string {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value.trim());
  if (!match) return `invalid endpoint "${value}": expected host:port`;
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return `invalid port ${match[3]} in "${value}": expected 0-65535`;
  }
  const host = match[1] ?? match[2];
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export const endpointSchema = z.string().transform((value, ctx) => {
  const parsed = parseEndpoint(value);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed;
});

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Go-style durations (`200ms`, `5s`, `1m30s`) in milliseconds; a bare number means milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    index = part.lastIndex;
  }
  return total;
}

/** A duration, or a bare number of milliseconds (keys of our own that document it so). */
export const millisecondsOrDurationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${value}": expected e.g. 500ms, 5s, 1m` });
    return z.NEVER;
  }
  return ms;
});

/**
 * A config duration as the OpenTelemetry Collector writes them: a Go-style string, or 0. A bare
 * number other than 0 is refused: the Collector reads `timeout: 5` (or `${env:T}` holding 5) as
 * 5 nanoseconds, so taking it for milliseconds would misread a pasted config.
 */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number' && value !== 0) {
    ctx.addIssue({
      code: 'custom',
      message: `a bare number is not a duration (the OpenTelemetry Collector reads ${value} as ${value} nanoseconds): write its unit, e.g. ${value}ms or ${value}s`,
    });
    return z.NEVER;
  }
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${value}": expected e.g. 500ms, 5s, 1m` });
    return z.NEVER;
  }
  return ms;
});

/** An http:// or https:// URL; `what` ends the error message (`expected an http:// or https:// URL<what>`). */
export function httpUrlSchema(what = '') {
  return z.string().refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, `expected an http:// or https:// URL${what}`);
}

/** Storage URLs the store package can open; validated here so a typo fails at start. */
export const storageUrlSchema = z.string().refine((value) => /^(?:sqlite:.+|postgres(?:ql)?:\/\/.+)/.test(value), {
  message: 'unsupported storage URL: expected sqlite:<path> or postgres://user@host/database',
});
