import { encodeDecisionEventsJson, type DecisionEvent } from '@decision-trace/model';
import { DecisionSinkError, type DecisionSink, type SinkExportOptions } from './decision-sink.js';

export interface HttpDecisionSinkOptions {
  /**
   * The Decision Trace backend: its base URL (`http://127.0.0.1:8711`, the bundled collector's
   * decision API) or the full URL of its events route (`…/v1/events`).
   */
  endpoint: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

const EVENTS_PATH = '/v1/events';

/**
 * Posts decision events as canonical events (a JSON array) to a backend's `POST /v1/events`.
 * 408, 429 and 5xx answers and network failures are retryable, with the server's Retry-After
 * passed on to the delivery loop; any other answer outside 2xx is permanent (the backend
 * rejected the data, and sending it again would be rejected again).
 */
export class HttpDecisionSink implements DecisionSink {
  readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(options: HttpDecisionSinkOptions) {
    this.url = eventsUrl(options.endpoint);
    this.headers = { 'content-type': 'application/json', ...options.headers };
    if (options.apiKey !== undefined && options.apiKey !== '') this.headers.authorization = `Bearer ${options.apiKey}`;
  }

  async export(events: readonly DecisionEvent[], { signal }: SinkExportOptions): Promise<void> {
    let body: string;
    try {
      body = encodeDecisionEventsJson(events);
    } catch (error) {
      throw new DecisionSinkError('decision events could not be encoded as JSON', { retryable: false, cause: error });
    }
    let response: Response;
    try {
      response = await fetch(this.url, { method: 'POST', headers: this.headers, body, signal });
    } catch (error) {
      throw new DecisionSinkError(`POST ${this.url} failed: ${(error as Error).message}`, { retryable: true, cause: error });
    }
    // The body is read in full either way, so the connection can be reused.
    const text = await response.text().catch(() => '');
    if (response.ok) return;
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new DecisionSinkError(`POST ${this.url} answered ${response.status}: ${text.slice(0, 500)}`, {
      retryable,
      retryAfterMs: retryable ? parseRetryAfter(response.headers.get('retry-after'), Date.now()) : undefined,
    });
  }
}

function eventsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(EVENTS_PATH)) url.pathname = `${path}${EVENTS_PATH}`;
  return url.toString();
}

/** Retry-After is delay-seconds or an HTTP date (RFC 9110 §10.2.3); milliseconds, or undefined. */
export function parseRetryAfter(header: string | null, nowMillis: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMillis);
}
