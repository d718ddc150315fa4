import { parseJsonExact } from '@decision-trace/model';
import { ExportError } from '../../exporter-helper/export-error.js';
import type { RequestSender, SendOutcome } from '../../exporter-helper/export-request.js';
import { HttpPoster } from '../../exporter-helper/http-client.js';
import { parseRetryAfter } from '../../exporter-helper/retry-after.js';
import { loadTls } from '../../exporter-helper/tls-config.js';
import type { RemoteDecisionsConfig } from './config.js';

/** Statuses worth trying again, as for OTLP: overload and gateway trouble. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

interface EventsAnswer {
  accepted?: number;
  duplicates?: number;
  error?: string;
  errors?: Array<{ index: number; field: string; message: string }>;
}

/** Posts canonical events to a decision backend's `POST /v1/events`. */
export class RemoteDecisionSender implements RequestSender {
  private poster?: HttpPoster;
  private readonly url: URL;

  constructor(
    private readonly config: RemoteDecisionsConfig,
    private readonly maxSockets: number,
  ) {
    this.url = new URL(`${config.endpoint.replace(/\/+$/, '')}/v1/events`);
  }

  async start(): Promise<void> {
    const headers = { ...this.config.headers };
    if (this.config.api_key) headers.Authorization = `Bearer ${this.config.api_key}`;
    this.poster = new HttpPoster({
      url: this.url,
      headers,
      compression: this.config.compression,
      compressionParams: this.config.compression_params,
      tls: await loadTls(this.config.tls),
      maxSockets: this.maxSockets,
    });
  }

  async send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome | void> {
    const response = await this.poster!.post(body, 'application/json', signal);
    const answer = parseAnswer(response.body);
    if (response.status >= 200 && response.status < 300) return;
    const reason = `${this.url.href} answered HTTP ${response.status}${answer?.error ? `: ${answer.error}` : ''}`;
    // Invalid events are reported one by one and the valid ones were stored: nothing to retry.
    if (response.status === 400 && Array.isArray(answer?.errors)) {
      const invalid = new Set(answer.errors.map((e) => e.index)).size;
      const first = answer.errors[0];
      return { rejectedItems: invalid, message: first ? `${reason} (event ${first.index}: ${first.field} ${first.message})` : reason };
    }
    if (!RETRYABLE_STATUSES.has(response.status)) throw ExportError.permanent(reason);
    throw ExportError.retryable(reason, { throttleMs: parseRetryAfter(response.headers['retry-after'], Date.now()) });
  }

  async close(): Promise<void> {
    this.poster?.close();
  }
}

function parseAnswer(body: Buffer): EventsAnswer | undefined {
  if (body.length === 0) return undefined;
  try {
    return parseJsonExact(body.toString('utf8')) as EventsAnswer;
  } catch {
    return undefined;
  }
}
