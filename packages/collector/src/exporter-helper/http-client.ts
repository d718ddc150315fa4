import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { promisify } from 'node:util';
import { gzip, gzipSync, type ZlibOptions } from 'node:zlib';
import { gzipOptions, type CompressionParams } from './compression-params.js';
import type { LoadedTls } from './tls-config.js';

const gzipAsync = promisify<Uint8Array, ZlibOptions, Buffer>(gzip);
/**
 * Bodies up to this size are compressed on the event loop. Handing a body to libuv's thread pool
 * costs about 150 µs of CPU per call (measured: 140–230 µs against 16–45 µs for gzipSync of a
 * 100-byte body), more than compressing 64 KiB of OTLP protobuf takes (about 0.4 ms at level 6,
 * which is also the longest the event loop is held). Larger bodies go to the thread pool.
 *
 * Measured again on the dual-export bench's bodies (44 KiB requests merged 1–8 at a time, level 6,
 * CPU of all threads per span): inline 2.8–3.1 µs at 44 KiB, 2.4–2.7 from 88 KiB up; the pool
 * 4.4–6.0 at 44 KiB, 3.2–3.9 at 88 KiB, within 0.2 of inline from about 130 KiB. In the whole
 * collector (6 interleaved rounds, load ~9) limits of 0, 16, 64 and 256 KiB gave the same CPU
 * per span and spans/s within the noise, while everything inline put 1.9–3.6 µs per span more on the
 * event loop and lost a sixth to a quarter of the spans/s: it is the event loop that gzip must spare.
 */
export const INLINE_GZIP_MAX_BYTES = 64 * 1024;
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * The output buffer of a gzip on the thread pool. Each buffer filled is one round trip between
 * the pool and the event loop; with zlib's 16 KiB default a merged export of 850 KiB of OTLP
 * protobuf makes about 15 of them, and a buffer of half the body (OTLP protobuf compresses to
 * about a quarter at level 6) makes one. Measured on the benchmark's requests merged (CPU per
 * span, level 6): 855 KiB bodies 3.2 → 2.7 µs in all threads (event loop 0.31 → 0.16), 85 KiB
 * 4.9 → 4.2, 214 KiB unchanged within the noise. The compressed bytes are the same whatever the
 * buffer size (exporter-senders.test.ts compares both paths).
 */
function threadPoolChunkSize(bodyBytes: number): number {
  return Math.min(4 * 1024 * 1024, Math.max(64 * 1024, Math.ceil(bodyBytes / 2)));
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpPosterOptions {
  url: URL;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** gzip's level (the Collector's `compression_params`); zlib's default when not given. */
  compressionParams?: CompressionParams;
  tls: LoadedTls;
  /** Sockets kept per destination: one per concurrent request is enough. */
  maxSockets: number;
}

/** Errors of a write into a connection the server has closed. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * POSTs bodies to one URL over a keep-alive agent, gzip-compressed (large bodies off the event loop) when
 * configured. Network failures reject (the retry loop treats them as retryable); any HTTP
 * status resolves, for the caller to classify.
 *
 * A request written into a kept-alive connection that the server closed while it sat idle
 * (Node's own servers close them after 5 s) fails with ECONNRESET or EPIPE before any answer.
 * Such a request is posted again at once on a new connection, as Go's net/http client does,
 * instead of failing the attempt and waiting out a backoff: the server never answered it.
 * Only once, and only for a reused connection: a new connection that resets is a real failure.
 */
export class HttpPoster {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  /** Each body is compressed once, not again for every retry of it. */
  private readonly compressed = new WeakMap<Uint8Array, Promise<Buffer>>();
  private readonly gzipOptions: ZlibOptions;
  private readonly target: RequestOptions;
  /** The headers every request carries: the configured ones and Content-Encoding. */
  private readonly fixedHeaders: Record<string, string>;

  constructor(private readonly options: HttpPosterOptions) {
    this.gzipOptions = gzipOptions(options.compressionParams ?? { level: 0 });
    const secure = options.url.protocol === 'https:';
    this.send = secure ? httpsRequest : httpRequest;
    // Worked out once: Node would otherwise convert the URL again for every request.
    this.target = { ...urlToHttpOptions(options.url), method: 'POST' };
    this.fixedHeaders = options.compression === 'gzip' ? { ...options.headers, 'Content-Encoding': 'gzip' } : { ...options.headers };
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets, ...options.tls })
      : new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  async post(body: Uint8Array, contentType: string, signal: AbortSignal): Promise<HttpResponse> {
    const payload = this.options.compression === 'gzip' ? await this.gzipOnce(body) : body;
    signal.throwIfAborted();
    const headers = { ...this.fixedHeaders, 'Content-Type': contentType, 'Content-Length': payload.byteLength };
    try {
      return await this.request(payload, headers, signal, true);
    } catch (error) {
      if (!(error instanceof StaleConnectionError) || signal.aborted) throw unwrap(error);
      try {
        return await this.request(payload, headers, signal, false);
      } catch (retryError) {
        throw unwrap(retryError);
      }
    }
  }

  private gzipOnce(body: Uint8Array): Promise<Buffer> {
    let payload = this.compressed.get(body);
    if (!payload) {
      payload =
        body.byteLength <= INLINE_GZIP_MAX_BYTES
          ? Promise.resolve(gzipSync(body, this.gzipOptions))
          : gzipAsync(body, { ...this.gzipOptions, chunkSize: threadPoolChunkSize(body.byteLength) });
      this.compressed.set(body, payload);
    }
    return payload;
  }

  /**
   * One request; `pooled` false opens a connection of its own (never one the agent kept), for
   * the retry after a stale one. Rejects with a StaleConnectionError when a reused connection
   * turned out closed before any answer.
   */
  private request(payload: Uint8Array, headers: Record<string, string | number>, signal: AbortSignal, pooled: boolean): Promise<HttpResponse> {
    const connection = pooled ? { agent: this.agent } : { agent: false as const, ...this.options.tls };
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = this.send({ ...this.target, ...connection, headers, signal }, (res) => {
        answered = true;
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
      req.on('error', (error: NodeJS.ErrnoException) => {
        const stale = pooled && req.reusedSocket && !answered && STALE_CONNECTION_CODES.has(error.code ?? '');
        reject(stale ? new StaleConnectionError(error) : error);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class StaleConnectionError extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }
}

function unwrap(error: unknown): unknown {
  return error instanceof StaleConnectionError ? error.original : error;
}
