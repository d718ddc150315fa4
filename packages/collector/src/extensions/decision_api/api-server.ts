import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { parseCanonicalEvents, type DecisionEvent } from '@decision-trace/model';
import {
  DEFAULT_GRAPH_DEPTH,
  InvalidQueryError,
  MAX_GRAPH_DEPTH,
  walkDecisionGraph,
  type AppendResult,
  type DecisionDetail,
  type DecisionQuery,
  type DecisionStore,
} from '@decision-trace/store';
import { HttpError } from '../../http/http-error.js';
import { closeServer, listen } from '../../http/listen.js';
import { readBody } from '../../http/read-body.js';
import type { DecisionApiConfig } from './config.js';
import { parseTimeBound } from './time-bound.js';
import { traceView } from './trace-view.js';

const QUERY_PARAMS = new Set(['type', 'version', 'outcome', 'tenant', 'since', 'until', 'limit', 'cursor', 'trace_id']);
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };
const TRACE_ID = /^[0-9a-f]{32}$/i;

/** The decision API: canonical events in, decision records out. */
export class DecisionApiServer {
  private readonly server: Server;

  constructor(
    private readonly config: DecisionApiConfig,
    private readonly store: DecisionStore,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (error instanceof HttpError) {
          send(res, error.status, { error: error.message }, error.headers);
          return;
        }
        this.logger.error({ err: error }, 'decision API request failed');
        send(res, 500, { error: 'internal error' });
      });
    });
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : 0;
  }

  async start(): Promise<void> {
    await listen(this.server, this.config.endpoint, 'decision_api');
    this.logger.info({ endpoint: `${this.config.endpoint.host}:${this.port}` }, 'decision API listening');
  }

  shutdown(): Promise<void> {
    return closeServer(this.server);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/v1/events') {
      allow(req, 'POST');
      return this.postEvents(req, res);
    }
    if (path === '/v1/decisions') {
      allow(req, 'GET');
      return this.listDecisions(url.searchParams, res);
    }
    const one = /^\/v1\/decisions\/([^/]+)$/.exec(path);
    if (one) {
      allow(req, 'GET');
      return this.getDecision(decodeURIComponent(one[1]), url.searchParams, res);
    }
    const graph = /^\/v1\/decisions\/([^/]+)\/graph$/.exec(path);
    if (graph) {
      allow(req, 'GET');
      return this.getGraph(decodeURIComponent(graph[1]), url.searchParams, res);
    }
    const trace = /^\/v1\/traces\/([^/]+)$/.exec(path);
    if (trace) {
      allow(req, 'GET');
      return this.getTrace(decodeURIComponent(trace[1]), url.searchParams, res);
    }
    throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
  }

  /**
   * Valid events are kept even when others in the same request are invalid: the 400 lists every
   * bad event by index and field, and since event ids make redelivery idempotent, a client
   * that fixes and resends the whole batch creates no duplicates.
   */
  private async postEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      throw new HttpError(415, `unsupported Content-Type "${req.headers['content-type'] ?? ''}": expected application/json`);
    }
    const body = await readBody(req, this.config.max_request_body_size);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new HttpError(400, `invalid JSON: ${(error as Error).message}`);
    }
    const { events, errors } = parseCanonicalEvents(parsed, {});
    const result = events.length > 0 ? await this.appendOrRetryLater(events) : { appended: 0, duplicates: 0 };
    if (errors.length > 0) {
      const total = Array.isArray(parsed) ? parsed.length : 1;
      const invalid = new Set(errors.map((e) => e.index)).size;
      send(res, 400, {
        error: `${invalid} of ${total} events are invalid; the valid ones were stored`,
        errors,
        accepted: result.appended,
        duplicates: result.duplicates,
      });
      return;
    }
    send(res, 200, { accepted: result.appended, duplicates: result.duplicates });
  }

  /**
   * A store that cannot take the events now (locked, closing, its worker gone) is the client's
   * cue to retry, as OTLP receivers answer: 503 with Retry-After, never a 500.
   */
  private async appendOrRetryLater(events: DecisionEvent[]): Promise<AppendResult> {
    try {
      return await this.store.append(events);
    } catch (error) {
      this.logger.warn({ err: error }, 'storing posted events failed; asking the client to retry');
      throw new HttpError(503, `decision store unavailable: ${(error as Error).message}`, { 'Retry-After': '1' });
    }
  }

  private async listDecisions(params: URLSearchParams, res: ServerResponse): Promise<void> {
    const query: DecisionQuery = {};
    const now = Date.now();
    for (const [key, value] of params) {
      if (!QUERY_PARAMS.has(key)) {
        throw new HttpError(400, `unknown query parameter "${key}" (known: ${[...QUERY_PARAMS].join(', ')})`);
      }
      switch (key) {
        case 'since':
        case 'until': {
          const at = parseTimeBound(value, now);
          if (!at) throw new HttpError(400, `invalid ${key} "${value}": expected RFC 3339 (2026-01-02T15:04:05Z) or a duration like 1h`);
          query[key] = at;
          break;
        }
        case 'limit': {
          const limit = Number(value);
          if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
            throw new HttpError(400, `invalid limit "${value}": expected an integer from 1 to 1000`);
          }
          query.limit = limit;
          break;
        }
        default:
          (query as Record<string, string>)[key] = value;
      }
    }
    try {
      send(res, 200, await this.store.queryDecisions(query));
    } catch (error) {
      if (error instanceof InvalidQueryError) throw new HttpError(400, error.message);
      throw error;
    }
  }

  private async getDecision(id: string, params: URLSearchParams, res: ServerResponse): Promise<void> {
    const found = await this.findDecision(id, params, res);
    if (found === null) return;
    send(res, 200, { ...found.record, events: found.events });
  }

  /** The one decision of that id (in ?tenant=), or null once a 409 was sent; 404 if none. */
  private async findDecision(id: string, params: URLSearchParams, res: ServerResponse): Promise<DecisionDetail | null> {
    const tenant = params.get('tenant') ?? undefined;
    const found = await this.store.getDecision(id, { tenant });
    if (found.length === 0) throw new HttpError(404, `decision "${id}" not found`);
    if (found.length > 1) {
      const tenants = found.map((f) => f.record.tenant);
      send(res, 409, { error: `decision "${id}" exists in several tenants; add ?tenant=`, tenants });
      return null;
    }
    return found[0];
  }

  /** Parent, child and causal edges in both directions, breadth-first up to ?depth= hops. */
  private async getGraph(id: string, params: URLSearchParams, res: ServerResponse): Promise<void> {
    onlyParams(params, ['depth', 'tenant']);
    const depthText = params.get('depth');
    const depth = depthText === null ? DEFAULT_GRAPH_DEPTH : Number(depthText);
    if (depthText !== null && (!/^\d+$/.test(depthText) || depth > MAX_GRAPH_DEPTH)) {
      throw new HttpError(400, `invalid depth "${depthText}": expected an integer from 0 to ${MAX_GRAPH_DEPTH}`);
    }
    const found = await this.findDecision(id, params, res);
    if (found === null) return;
    send(res, 200, await walkDecisionGraph(this.store, found.record, depth));
  }

  /** The trace's context spans and decisions; 404 when the store knows neither. */
  private async getTrace(traceId: string, params: URLSearchParams, res: ServerResponse): Promise<void> {
    onlyParams(params, ['tenant']);
    if (!TRACE_ID.test(traceId)) throw new HttpError(400, `invalid trace id "${traceId}": expected 32 hex digits`);
    const found = await this.store.getTrace(traceId, { tenant: params.get('tenant') ?? undefined });
    if (found.length === 0) throw new HttpError(404, `trace "${traceId}" not found`);
    if (found.length > 1) {
      send(res, 409, { error: `trace "${traceId}" exists in several tenants; add ?tenant=`, tenants: found.map((f) => f.tenant) });
      return;
    }
    send(res, 200, traceView(found[0]));
  }
}

function onlyParams(params: URLSearchParams, known: readonly string[]): void {
  for (const key of params.keys()) {
    if (!known.includes(key)) throw new HttpError(400, `unknown query parameter "${key}" (known: ${known.join(', ')})`);
  }
}

function allow(req: IncomingMessage, method: string): void {
  if (req.method !== method) {
    req.resume();
    throw new HttpError(405, `method ${req.method} not allowed: use ${method}`, { Allow: method });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { ...JSON_HEADERS, ...headers }).end(JSON.stringify(body));
}
