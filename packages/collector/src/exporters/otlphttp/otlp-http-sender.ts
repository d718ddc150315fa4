import { ExportError } from '../../exporter-helper/export-error.js';
import type { RequestSender, SendOutcome } from '../../exporter-helper/export-request.js';
import { HttpPoster } from '../../exporter-helper/http-client.js';
import { decodePartialSuccess, decodeRpcStatus } from '../../exporter-helper/otlp-responses.js';
import { parseRetryAfter } from '../../exporter-helper/retry-after.js';
import { loadTls } from '../../exporter-helper/tls-config.js';
import { signalUrl, type OtlpHttpExporterConfig } from './config.js';

/** HTTP statuses the OTLP specification says to retry. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** One OTLP/HTTP export attempt, with the answer classified as the OTLP specification says. */
export class OtlpHttpSender implements RequestSender {
  private poster?: HttpPoster;
  private readonly format: 'protobuf' | 'json';

  constructor(
    private readonly config: OtlpHttpExporterConfig,
    private readonly maxSockets: number,
    /** The signal's URL; the traces URL when not given. */
    private readonly url: URL = signalUrl(config, 'traces')!,
  ) {
    this.format = config.encoding === 'json' ? 'json' : 'protobuf';
  }

  async start(): Promise<void> {
    this.poster = new HttpPoster({
      url: this.url,
      headers: this.config.headers,
      compression: this.config.compression,
      compressionParams: this.config.compression_params,
      tls: await loadTls(this.config.tls),
      maxSockets: this.maxSockets,
    });
  }

  async send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome | void> {
    const contentType = this.format === 'json' ? 'application/json' : 'application/x-protobuf';
    const response = await this.poster!.post(body, contentType, signal);
    if (response.status >= 200 && response.status < 300) {
      const partial = decodePartialSuccess(response.body, responseFormat(response.headers['content-type'], this.format));
      return partial ? { rejectedItems: partial.rejected, message: partial.message } : undefined;
    }
    const reason = `${this.url.href} answered HTTP ${response.status}${this.errorMessage(response.body, response.headers['content-type'])}`;
    if (!RETRYABLE_STATUSES.has(response.status)) throw ExportError.permanent(reason);
    throw ExportError.retryable(reason, { throttleMs: parseRetryAfter(response.headers['retry-after'], Date.now()) });
  }

  async close(): Promise<void> {
    this.poster?.close();
  }

  /** OTLP error bodies are a google.rpc.Status in the response's encoding; show its message. */
  private errorMessage(body: Buffer, contentType: string | undefined): string {
    if (body.length === 0) return '';
    if (responseFormat(contentType, this.format) === 'json') {
      try {
        const message = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message;
        if (typeof message === 'string' && message !== '') return `: ${message}`;
      } catch {
        // not JSON: fall through to the raw text
      }
      return `: ${body.toString('utf8', 0, Math.min(body.length, 200))}`;
    }
    const status = decodeRpcStatus(body);
    return status?.message ? `: ${status.message}` : '';
  }
}

function responseFormat(contentType: string | undefined, fallback: 'protobuf' | 'json'): 'protobuf' | 'json' {
  if (!contentType) return fallback;
  const media = contentType.split(';', 1)[0].trim().toLowerCase();
  if (media === 'application/json') return 'json';
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  return media.startsWith('text/') ? 'json' : fallback;
}
