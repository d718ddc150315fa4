import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { LoadedTls } from './tls-config.js';

const gzipAsync = promisify(gzip);
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpPosterOptions {
  url: URL;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  tls: LoadedTls;
  /** Sockets kept per destination: one per concurrent request is enough. */
  maxSockets: number;
}

/**
 * POSTs bodies to one URL over a keep-alive agent, gzip-compressed off the event loop when
 * configured. Network failures reject (the retry loop treats them as retryable); any HTTP
 * status resolves, for the caller to classify.
 */
export class HttpPoster {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(private readonly options: HttpPosterOptions) {
    const secure = options.url.protocol === 'https:';
    this.send = secure ? httpsRequest : httpRequest;
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets, ...options.tls })
      : new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  async post(body: Uint8Array, contentType: string, signal: AbortSignal): Promise<HttpResponse> {
    const payload = this.options.compression === 'gzip' ? await gzipAsync(body) : body;
    signal.throwIfAborted();
    const headers: Record<string, string | number> = {
      ...this.options.headers,
      'Content-Type': contentType,
      'Content-Length': payload.byteLength,
    };
    if (this.options.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    return new Promise((resolve, reject) => {
      const req = this.send(this.options.url, { method: 'POST', agent: this.agent, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // An oversized answer is cut: only its status and start matter here.
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
