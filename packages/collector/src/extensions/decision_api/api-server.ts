import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { parseCanonicalEvents, parseJsonExact, stringifyJsonExact, type DecisionEvent } from '@decision-trace/model';
import {
  DEFAULT_GRAPH_DEPTH,
  InvalidQueryError,
  MAX_GRAPH_DEPTH,
  walkDecisionGraph,
  type AlertQuery,
  type AppendResult,
  type AuditQuery,
  type DecisionDetail,
  type AlertLog,
  type AuditLogStore,
  type DecisionQuery,
  type DecisionReader,
  type LedgerVerifier,
  type LedgerWriter,
  type StatsQuery,
  type StatsReader,
} from '@decision-trace/store';
import { parseDuration } from '../../config/values.js';
import { HttpError } from '../../http/http-error.js';
import { closeServer, listen } from '../../http/listen.js';
import { refuseInvalidUtf8, refuseNonUtf8Charset } from '../../http/json-charset.js';
import { readBody } from '../../http/read-body.js';
import { applyServerLimits, serverOptionsFor } from '../../http/server-limits.js';
import { AuditLog } from './audit/audit-log.js';
import { auditedQuery } from './audit/audited-query.js';
import { requireRole, scopeTenant, UNAUTHENTICATED, type Principal } from './auth/access.js';
import { ApiKeyring } from './auth/api-keys.js';
import type { DecisionApiConfig } from './config.js';
import { parseAlertFilter } from './alert-params.js';
import { parseDecisionFilter } from './decision-filter-params.js';
import { parseDriftQuery } from './drift-query.js';
import { driftReport } from './drift-report.js';
import { decodePathSegment } from './path-segment.js';
import { parseTimeBound } from '../../shared/time-bound.js';
import { refuseDeepEventsBody } from './event-body-nesting.js';
import { traceView } from './trace-view.js';
import { UiAssets } from './ui-assets.js';

/** nosniff: a browser must never read an answer (which echoes stored data) as anything but JSON. */
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff' };
/** An OTel trace id (32 hex digits), or a UUID: the Decision Trace SDKs' own trace ids. */
const TRACE_ID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const CHALLENGE = 'Bearer realm="decision_api"';

/**
 * What the decision API uses of the store: posted events appended; decisions, traces, stats,
 * alerts and the audit log read (the audit log also written, audit/audit-log.ts); the ledger
 * verified. Not retention, context spans, the witness or the alerts' writes.
 */
export type DecisionApiStore = Pick<LedgerWriter, 'append'> &
  DecisionReader &
  StatsReader &
  AuditLogStore &
  Pick<LedgerVerifier, 'verifyLedger'> &
  Pick<AlertLog, 'queryAlerts' | 'getAlert'>;

/** The decision API: canonical events in, decision records, statistics and the audit log out. */
export class DecisionApiServer {
  private readonly server: Server;
  private readonly ui = new UiAssets();
  private readonly keyring: ApiKeyring | undefined;
  /** Reads are audited only with `auth`: without keys there is no one to name. */
  private readonly audit: AuditLog | undefined;

  constructor(
    private readonly config: DecisionApiConfig,
    private readonly store: DecisionApiStore,
    private readonly logger: Logger,
    /** The pipelines' redaction rules (Host.redactPostedEvents): posted events are stored only through them. */
    private readonly redact: (events: DecisionEvent[]) => DecisionEvent[],
  ) {
    this.keyring = config.auth ? new ApiKeyring(config.auth) : undefined;
    this.audit = config.auth ? new AuditLog(store, logger) : undefined;
    this.server = createServer(serverOptionsFor(config), (req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (error instanceof HttpError) {
          send(res, error.status, { error: error.message }, error.headers);
          return;
        }
        if (error instanceof InvalidQueryError) {
          send(res, 400, { error: error.message });
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

  /** `endpointKey`: the YAML path of `endpoint`, which a failure to listen names. */
  async start(endpointKey = 'extensions.decision_api.endpoint'): Promise<void> {
    // The same connection limits as the otlp receiver's HTTP server (server-limits.ts).
    applyServerLimits(this.server, this.config);
    await listen(this.server, this.config.endpoint, endpointKey);
    this.logger.info({ endpoint: `${this.config.endpoint.host}:${this.port}`, auth: this.keyring !== undefined }, 'decision API listening');
  }

  async shutdown(): Promise<void> {
    await closeServer(this.server);
    await this.audit?.flush();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The UI's files hold no data, so they are served before (and without) any API key check.
    if (UiAssets.handles(url.pathname)) return this.ui.serve(req, res, url.pathname);
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '/v1' && !path.startsWith('/v1/')) throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
    const principal = this.authenticate(req);
    const params = url.searchParams;

    if (path === '/v1/events') {
      allow(req, 'POST');
      requireRole(principal, 'write');
      return this.postEvents(req, res, principal);
    }
    if (path === '/v1/audit') {
      allow(req, 'GET');
      requireRole(principal, 'admin');
      return this.listAudit(params, res);
    }
    const read = this.readRoute(path);
    if (read === undefined) throw new HttpError(404, `no route for ${req.method} ${url.pathname}`);
    allow(req, 'GET');
    this.auditRead(principal, req, url, res);
    requireRole(principal, 'read');
    return read(params, res, principal);
  }

  /** The handler of a GET data route (audited), or undefined. */
  private readRoute(path: string): ((params: URLSearchParams, res: ServerResponse, principal: Principal) => Promise<void>) | undefined {
    switch (path) {
      case '/v1/decisions':
        return (params, res, principal) => this.listDecisions(params, res, principal);
      case '/v1/stats':
        return (params, res, principal) => this.getStats(params, res, principal);
      case '/v1/drift':
        return (params, res, principal) => this.getDrift(params, res, principal);
      case '/v1/ledger/verify':
        return (params, res, principal) => this.verifyLedger(params, res, principal);
      case '/v1/alerts':
        return (params, res, principal) => this.listAlerts(params, res, principal);
    }
    const alert = /^\/v1\/alerts\/([^/]+)$/.exec(path);
    if (alert) return (params, res, principal) => this.getAlert(decodePathSegment(alert[1], 'alert id'), params, res, principal);
    const one = /^\/v1\/decisions\/([^/]+)$/.exec(path);
    if (one) return (params, res, principal) => this.getDecision(decodePathSegment(one[1], 'decision id'), params, res, principal);
    const graph = /^\/v1\/decisions\/([^/]+)\/graph$/.exec(path);
    if (graph) return (params, res, principal) => this.getGraph(decodePathSegment(graph[1], 'decision id'), params, res, principal);
    const trace = /^\/v1\/traces\/([^/]+)$/.exec(path);
    if (trace) return (params, res, principal) => this.getTrace(decodePathSegment(trace[1], 'trace id'), params, res, principal);
    return undefined;
  }

  private authenticate(req: IncomingMessage): Principal {
    if (this.keyring === undefined) return UNAUTHENTICATED;
    const check = this.keyring.authenticate(req.headers);
    if (check.ok) return check.principal;
    req.resume();
    const challenge = check.message === 'unknown API key' ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
    throw new HttpError(401, check.message, { 'WWW-Authenticate': challenge });
  }

  /** Who read what with which filter, written once the answer (and its status) is sent. */
  private auditRead(principal: Principal, req: IncomingMessage, url: URL, res: ServerResponse): void {
    const audit = this.audit;
    if (audit === undefined) return;
    const at = new Date().toISOString();
    res.once('finish', () => {
      audit.record({
        at,
        key_name: principal.name,
        role: principal.role,
        tenant: principal.tenant,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: auditedQuery(url.searchParams),
        status: res.statusCode,
      });
    });
  }

  /**
   * Valid events are kept even when others in the same request are invalid: the 400 lists every
   * bad event by index and field, and since event ids make redelivery idempotent, a client
   * that fixes and resends the whole batch creates no duplicates. A tenant-scoped key's events
   * belong to its tenant; one event of another tenant refuses the whole request.
   */
  private async postEvents(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      throw new HttpError(415, `unsupported Content-Type "${req.headers['content-type'] ?? ''}": expected application/json`);
    }
    refuseNonUtf8Charset(req.headers['content-type']);
    const body = await readBody(req, this.config.max_request_body_size);
    refuseInvalidUtf8(body);
    refuseDeepEventsBody(body);
    let parsed: unknown;
    try {
      parsed = parseJsonExact(body.toString('utf8'));
    } catch (error) {
      throw new HttpError(400, `invalid JSON: ${(error as Error).message}`);
    }
    if (principal.tenant !== null) refuseForeignTenants(parsed, principal);
    const { events, errors } = parseCanonicalEvents(parsed, principal.tenant === null ? {} : { tenant: principal.tenant });
    const result = events.length > 0 ? await this.appendOrRetryLater(this.redact(events)) : { appended: 0, duplicates: 0 };
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

  private async listDecisions(params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    const query: DecisionQuery = parseDecisionFilter(params, ['limit', 'cursor'], Date.now());
    Object.assign(query, pageParams(params));
    query.tenant = scopeTenant(principal, query.tenant);
    send(res, 200, await this.store.queryDecisions(query));
  }

  private async getDecision(id: string, params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    onlyParams(params, ['tenant']);
    const found = await this.findDecision(id, params, res, principal);
    if (found === null) return;
    send(res, 200, { ...found.record, events: found.events });
  }

  /** The one decision of that id the key may see (in ?tenant=), or null once a 409 was sent; 404 if none. */
  private async findDecision(id: string, params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<DecisionDetail | null> {
    const tenant = scopeTenant(principal, params.get('tenant'));
    const found = await this.store.getDecision(id, { tenant });
    if (found.length === 0) throw new HttpError(404, `decision "${id}" not found`);
    if (found.length > 1) {
      const tenants = found.map((f) => f.record.tenant);
      send(res, 409, { error: `decision "${id}" exists in several tenants; add ?tenant=`, tenants });
      return null;
    }
    return found[0];
  }

  /** Parent, child and causal edges in both directions, breadth-first up to ?depth= hops, inside the decision's tenant. */
  private async getGraph(id: string, params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    onlyParams(params, ['depth', 'tenant']);
    const depthText = params.get('depth');
    const depth = depthText === null ? DEFAULT_GRAPH_DEPTH : Number(depthText);
    if (depthText !== null && (!/^\d+$/.test(depthText) || depth > MAX_GRAPH_DEPTH)) {
      throw new HttpError(400, `invalid depth "${depthText}": expected an integer from 0 to ${MAX_GRAPH_DEPTH}`);
    }
    const found = await this.findDecision(id, params, res, principal);
    if (found === null) return;
    send(res, 200, await walkDecisionGraph(this.store, found.record, depth));
  }

  /** The trace's context spans and decisions; 404 when the store knows neither. */
  private async getTrace(traceId: string, params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    onlyParams(params, ['tenant']);
    if (!TRACE_ID.test(traceId)) throw new HttpError(400, `invalid trace id "${traceId}": expected 32 hex digits or a UUID`);
    const found = await this.store.getTrace(traceId, { tenant: scopeTenant(principal, params.get('tenant')) });
    if (found.length === 0) throw new HttpError(404, `trace "${traceId}" not found`);
    if (found.length > 1) {
      send(res, 409, { error: `trace "${traceId}" exists in several tenants; add ?tenant=`, tenants: found.map((f) => f.tenant) });
      return;
    }
    send(res, 200, traceView(found[0]));
  }

  /** Counts and rates per bucket, type, version and outcome, weighted by the sampling adjusted count. */
  private async getStats(params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    const query: StatsQuery = parseDecisionFilter(params, ['bucket'], Date.now());
    const bucketText = params.get('bucket');
    if (bucketText !== null) {
      const bucket = parseDuration(bucketText);
      if (bucket === undefined || bucket < 1) throw new HttpError(400, `invalid bucket "${bucketText}": expected a duration such as 5m, 1h, 1d`);
      query.bucket_ms = Math.round(bucket);
    }
    query.tenant = scopeTenant(principal, query.tenant);
    send(res, 200, await this.store.stats(query));
  }

  /** The outcome distribution of one type on two sides (versions or time windows) and a chi-square test. */
  private async getDrift(params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    const query = parseDriftQuery(params, Date.now());
    const tenant = scopeTenant(principal, query.a.tenant);
    const a = { ...query.a, tenant };
    const b = { ...query.b, tenant };
    const [countsA, countsB] = await Promise.all([this.store.outcomeCounts(a), this.store.outcomeCounts(b)]);
    send(res, 200, driftReport(query.type, { filter: a, counts: countsA }, { filter: b, counts: countsB }, query.alpha));
  }

  /** 200 whatever the result: `ok` says whether the chains are intact. */
  private async verifyLedger(params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    onlyParams(params, ['tenant']);
    const tenant = scopeTenant(principal, params.get('tenant'));
    send(res, 200, await this.store.verifyLedger(tenant === undefined ? undefined : { tenant }));
  }

  /** The decision_anomaly connector's alerts the decisions exporter stored, newest first. */
  private async listAlerts(params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    const query: AlertQuery = parseAlertFilter(params, ['limit', 'cursor'], Date.now());
    Object.assign(query, pageParams(params));
    query.tenant = scopeTenant(principal, query.tenant);
    send(res, 200, await this.store.queryAlerts(query));
  }

  private async getAlert(id: string, params: URLSearchParams, res: ServerResponse, principal: Principal): Promise<void> {
    onlyParams(params, ['tenant']);
    const found = await this.store.getAlert(id, { tenant: scopeTenant(principal, params.get('tenant')) });
    if (found.length === 0) throw new HttpError(404, `alert "${id}" not found`);
    if (found.length > 1) {
      send(res, 409, { error: `alert "${id}" exists in several tenants; add ?tenant=`, tenants: found.map((a) => a.tenant) });
      return;
    }
    send(res, 200, found[0]);
  }

  /** Newest first; pending entries are written first so the list includes the latest reads. */
  private async listAudit(params: URLSearchParams, res: ServerResponse): Promise<void> {
    onlyParams(params, ['tenant', 'since', 'limit', 'cursor']);
    const query: AuditQuery = {};
    const tenant = params.get('tenant');
    if (tenant !== null && tenant !== '') query.tenant = tenant;
    const since = params.get('since');
    if (since !== null) {
      const at = parseTimeBound(since, Date.now());
      if (!at) throw new HttpError(400, `invalid since "${since}": expected RFC 3339 (2026-01-02T15:04:05Z) or a duration like 1h`);
      query.since = at;
    }
    Object.assign(query, pageParams(params));
    await this.audit?.flush();
    send(res, 200, await this.store.queryAudit(query));
  }
}

/** 403 naming every event whose tenant_id is not the key's tenant; nothing of the request is stored. */
function refuseForeignTenants(body: unknown, principal: Principal): void {
  if (!Array.isArray(body)) return;
  const foreign: number[] = [];
  body.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) return;
    const tenant = (item as { tenant_id?: unknown }).tenant_id;
    if (tenant !== undefined && tenant !== null && tenant !== principal.tenant) foreign.push(index);
  });
  if (foreign.length === 0) return;
  throw new HttpError(
    403,
    `event${foreign.length > 1 ? 's' : ''} at index ${foreign.join(', ')} name${foreign.length > 1 ? '' : 's'} another tenant than "${principal.tenant}", the tenant of key "${principal.name}"; nothing was stored`,
  );
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
  res.writeHead(status, { ...JSON_HEADERS, ...headers }).end(stringifyJsonExact(body));
}

/** `limit` and `cursor` of a paged route. */
function pageParams(params: URLSearchParams): { limit?: number; cursor?: string } {
  const page: { limit?: number; cursor?: string } = {};
  const limitText = params.get('limit');
  if (limitText !== null) {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new HttpError(400, `invalid limit "${limitText}": expected an integer from 1 to 1000`);
    }
    page.limit = limit;
  }
  const cursor = params.get('cursor');
  if (cursor !== null) page.cursor = cursor;
  return page;
}
