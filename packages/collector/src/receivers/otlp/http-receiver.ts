import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, encodeExportResponse, OtlpDecodeError } from '@decision-trace/otlp';
import type { TracesConsumer } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import { HttpError } from '../../http/http-error.js';
import { closeServer, listen } from '../../http/listen.js';
import { readBody } from '../../http/read-body.js';
import type { OtlpHttpConfig } from './config.js';
import { ingest } from './ingest.js';
import { encodeRpcStatus, RpcCode } from './rpc-status.js';

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

/** OTLP/HTTP for traces: POST protobuf or JSON, answered in the same encoding. */
export class OtlpHttpReceiver {
  private readonly server: Server;

  constructor(
    private readonly config: OtlpHttpConfig,
    private readonly next: TracesConsumer,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        this.logger.error({ err: error }, 'unexpected error answering an OTLP/HTTP request');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.server.keepAliveTimeout = 65_000;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('receiver is not listening');
    return { host: a.address, port: a.port };
  }

  async start(): Promise<void> {
    await listen(this.server, this.config.endpoint, 'otlp receiver (http)');
    this.logger.info({ endpoint: `${this.config.endpoint.host}:${this.address.port}` }, 'OTLP/HTTP receiver listening');
  }

  async shutdown(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== this.config.traces_url_path) {
      return this.fail(res, 'json', new HttpError(404, `unknown path ${path}: traces are accepted at POST ${this.config.traces_url_path}`));
    }
    const format = wireFormatOf(req.headers['content-type']);
    if (req.method !== 'POST') {
      req.resume();
      return this.fail(res, format ?? 'json', new HttpError(405, `method ${req.method} not allowed: use POST`, { Allow: 'POST' }));
    }
    if (!format) {
      req.resume();
      return this.fail(
        res,
        'json',
        new HttpError(415, `unsupported Content-Type "${req.headers['content-type'] ?? ''}": expected application/x-protobuf or application/json`),
      );
    }
    try {
      const body = await readBody(req, this.config.max_request_body_size);
      const decoded = format === 'protobuf' ? decodeTraceRequestProtobuf(body) : decodeTraceRequestJson(body);
      await ingest(this.next, decoded.resourceSpans);
      const payload = encodeExportResponse({ rejectedSpans: decoded.rejectedSpans, errorMessage: decoded.errorMessage }, format);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[format] }).end(payload);
    } catch (error) {
      this.fail(res, format, this.toHttpError(error));
    }
  }

  private toHttpError(error: unknown): HttpError {
    if (error instanceof HttpError) return error;
    if (error instanceof OtlpDecodeError) return new HttpError(400, `cannot decode request: ${error.message}`);
    if (error instanceof PipelineError) {
      if (error.retryable) {
        this.logger.warn({ err: error }, 'pipeline refused data; asking the client to retry');
        return new HttpError(503, error.message, { 'Retry-After': String(error.retryAfterSeconds) });
      }
      return new HttpError(400, error.message);
    }
    this.logger.error({ err: error }, 'pipeline failed');
    return new HttpError(500, 'internal error while processing the request');
  }

  private fail(res: ServerResponse, format: WireFormat, error: HttpError): void {
    const code =
      error.status === 503 ? RpcCode.UNAVAILABLE
      : error.status === 413 ? RpcCode.RESOURCE_EXHAUSTED
      : error.status >= 500 ? RpcCode.INTERNAL
      : RpcCode.INVALID_ARGUMENT;
    const body = encodeRpcStatus(code, error.message, format);
    if (!res.headersSent) {
      res.writeHead(error.status, { 'Content-Type': CONTENT_TYPES[format], ...error.headers });
    }
    res.end(body);
  }
}
