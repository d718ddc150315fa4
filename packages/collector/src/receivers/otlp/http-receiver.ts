import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { Logger } from 'pino';
import { decodeTraceRequestJson, encodeExportResponse, OtlpDecodeError } from '@decision-trace/otlp';
import type { MutatingTracesConsumer } from '../../component/component.js';
import { HttpError } from '../../http/http-error.js';
import { refuseInvalidUtf8, refuseNonUtf8Charset } from '../../http/json-charset.js';
import { closeServer, listen } from '../../http/listen.js';
import { readBody } from '../../http/read-body.js';
import { applyServerLimits, serverOptionsFor } from '../../http/server-limits.js';
import { ADMISSION_RETRY_AFTER_SECONDS, admissionRefusalMessage, type RequestAdmission } from './admission.js';
import { bearerChallenge, type BearerTokenAuthenticator } from './bearer-auth.js';
import type { OtlpHttpConfig } from './config.js';
import { CorsPolicy } from './cors-policy.js';
import { ingest } from './ingest.js';
import { refusalOf } from './refusal.js';
import { encodeRpcStatus, RpcCode, type RpcCodeValue } from './rpc-status.js';
import { decodeProtobufInSlices, type ProtobufDecoding } from './sliced-decode.js';
import { readTlsFiles } from './tls-files.js';

type WireFormat = 'protobuf' | 'json';

const CONTENT_TYPES: Record<WireFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

function wireFormatOf(contentType: string | undefined): WireFormat | undefined {
  if (!contentType) return undefined;
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/** The google.rpc.Code an error body carries for an HTTP status decided before the pipeline. */
function rpcCodeOf(status: number): RpcCodeValue {
  switch (status) {
    case 401:
      return RpcCode.UNAUTHENTICATED;
    case 403:
      return RpcCode.PERMISSION_DENIED;
    case 404:
      return RpcCode.NOT_FOUND;
    case 405:
      return RpcCode.UNIMPLEMENTED;
    case 413:
    case 429:
      return RpcCode.RESOURCE_EXHAUSTED;
    case 503:
      return RpcCode.UNAVAILABLE;
    default:
      return status >= 500 ? RpcCode.INTERNAL : RpcCode.INVALID_ARGUMENT;
  }
}

export interface HttpReceiverOptions {
  /** YAML path of this protocol's settings, for start-up errors (`receivers.otlp.protocols.http`). */
  configPath: string;
  auth?: BearerTokenAuthenticator;
  admission: RequestAdmission;
  /** How much of a protobuf request the pipelines behind need decoded. */
  decoding: ProtobufDecoding;
}

/**
 * OTLP/HTTP for traces: POST protobuf or JSON, answered in the same encoding, with the OTLP
 * status codes (and a google.rpc.Status body) for everything it refuses.
 */
export class OtlpHttpReceiver {
  private server: Server | TlsServer | undefined;
  private readonly cors: CorsPolicy | undefined;

  constructor(
    private readonly config: OtlpHttpConfig,
    private readonly next: MutatingTracesConsumer,
    private readonly logger: Logger,
    private readonly options: HttpReceiverOptions,
  ) {
    const cors = config.cors && new CorsPolicy(config.cors);
    if (config.cors && !cors?.enabled && config.cors.allowed_headers.length > 0) {
      logger.warn(`${options.configPath}.cors: allowed_headers without allowed_origins has no effect`);
    }
    this.cors = cors?.enabled ? cors : undefined;
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    if (a == null || typeof a === 'string') throw new Error('receiver is not listening');
    return { host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error) => {
        this.logger.error({ err: error }, 'unexpected error answering an OTLP/HTTP request');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    };
    this.server = this.config.tls ? await this.createTlsServer(handler) : createServer(serverOptionsFor(this.config), handler);
    applyServerLimits(this.server, this.config);
    await listen(this.server, this.config.endpoint, `${this.options.configPath}.endpoint`);
    this.logger.info({ endpoint: `${this.config.endpoint.host}:${this.address.port}`, tls: this.config.tls !== undefined }, 'OTLP/HTTP receiver listening');
  }

  async shutdown(): Promise<void> {
    if (this.server?.listening) await closeServer(this.server);
  }

  private async createTlsServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TlsServer> {
    const tls = this.config.tls!;
    const path = `${this.options.configPath}.tls`;
    const material = await readTlsFiles(tls, path);
    try {
      return createTlsServer(
        {
          ...serverOptionsFor(this.config),
          cert: material.cert,
          key: material.key,
          minVersion: 'TLSv1.2',
          ...(material.clientCa ? { ca: material.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
        },
        handler,
      );
    } catch (error) {
      throw new Error(`${path}: cannot serve TLS: ${(error as Error).message}`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const format = wireFormatOf(req.headers['content-type']);
    // Answers decided before the body is read still use the request's encoding when it has one.
    const answerFormat = format ?? 'json';

    const origin = req.headers.origin;
    if (this.cors && origin !== undefined) {
      if (req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string') {
        req.resume();
        const answer = this.cors.preflight(origin, req.headers['access-control-request-method'], req.headers['access-control-request-headers']);
        if (!answer.allowed) return this.fail(res, answerFormat, new HttpError(403, `CORS preflight refused: ${answer.reason}`));
        res.writeHead(204, answer.headers).end();
        return;
      }
      if (this.cors.allowsOrigin(origin)) {
        for (const [name, value] of Object.entries(this.cors.responseHeaders(origin))) res.setHeader(name, value);
      }
    }

    let tenant: string | undefined;
    if (this.options.auth) {
      const outcome = this.options.auth.authenticate(req.headers.authorization);
      if (!outcome.ok) {
        req.resume();
        return this.fail(res, answerFormat, new HttpError(401, outcome.message, { 'WWW-Authenticate': bearerChallenge(outcome) }));
      }
      tenant = outcome.tenant;
    }

    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== this.config.traces_url_path) {
      req.resume();
      return this.fail(res, answerFormat, new HttpError(404, `unknown path ${path}: traces are accepted at POST ${this.config.traces_url_path}`));
    }
    if (req.method !== 'POST') {
      req.resume();
      return this.fail(res, answerFormat, new HttpError(405, `method ${req.method} not allowed: use POST`, { Allow: 'POST' }));
    }
    if (!format) {
      req.resume();
      const given = req.headers['content-type'];
      return this.fail(
        res,
        'json',
        new HttpError(
          415,
          given
            ? `unsupported Content-Type "${given}": expected application/x-protobuf or application/json`
            : 'missing Content-Type: expected application/x-protobuf or application/json',
        ),
      );
    }

    // Admitted by the declared length first, so that bodies being read count too; then by what
    // the body turned out to be (decompressed, or sent without a length).
    const admission = this.options.admission;
    const declared = Number(req.headers['content-length']);
    let held = Number.isSafeInteger(declared) && declared > 0 ? declared : 0;
    if (!admission.tryAcquire(held)) {
      req.resume();
      return this.refuseAsBusy(res, format);
    }
    try {
      let decoded;
      try {
        if (format === 'json') refuseNonUtf8Charset(req.headers['content-type']);
        const body = await readBody(req, this.config.max_request_body_size);
        if (body.length > held) {
          if (!admission.tryAcquire(body.length - held)) return this.refuseAsBusy(res, format);
          held = body.length;
        }
        if (format === 'json') refuseInvalidUtf8(body);
        decoded = format === 'protobuf' ? await decodeProtobufInSlices(body, this.options.decoding) : decodeTraceRequestJson(body);
      } catch (error) {
        if (error instanceof HttpError) return this.fail(res, format, error);
        if (error instanceof OtlpDecodeError) return this.fail(res, format, new HttpError(400, `cannot decode request: ${error.message}`));
        throw error;
      }

      try {
        await ingest(this.next, decoded, tenant);
      } catch (error) {
        const refusal = refusalOf(error, this.logger);
        const headers: Record<string, string> = refusal.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(refusal.retryAfterSeconds) };
        return this.fail(res, format, new HttpError(refusal.httpStatus, refusal.message, headers), refusal.rpcCode, refusal.retryAfterSeconds);
      }
      const payload = encodeExportResponse({ rejectedSpans: decoded.rejectedSpans, errorMessage: decoded.errorMessage }, format);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[format] }).end(payload);
    } finally {
      admission.release(held);
    }
  }

  private refuseAsBusy(res: ServerResponse, format: WireFormat): void {
    const error = new HttpError(503, admissionRefusalMessage(this.options.admission.limitBytes), { 'Retry-After': String(ADMISSION_RETRY_AFTER_SECONDS) });
    this.fail(res, format, error, RpcCode.UNAVAILABLE, ADMISSION_RETRY_AFTER_SECONDS);
  }

  private fail(res: ServerResponse, format: WireFormat, error: HttpError, code = rpcCodeOf(error.status), retryAfterSeconds?: number): void {
    if (error.status < 500) this.logger.debug({ status: error.status, reason: error.message }, 'OTLP/HTTP request refused');
    const body = encodeRpcStatus(code, error.message, format, retryAfterSeconds);
    if (!res.headersSent) res.writeHead(error.status, { 'Content-Type': CONTENT_TYPES[format], ...error.headers });
    res.end(body);
  }
}
