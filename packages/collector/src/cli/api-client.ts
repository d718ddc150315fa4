import { parseJsonExact } from '@decision-trace/model';
/** The CLI's view of the decision API; errors carry the API's own message. */
export class ApiClient {
  /** `apiKey` (from `--api-key` or `$DT_API_KEY`) is sent as a bearer token when the API asks for keys. */
  constructor(
    private readonly endpoint: string,
    private readonly apiKey?: string,
  ) {}

  /** A repeated parameter (`evidence`) is given as an array of values. */
  async get<T>(path: string, params: Record<string, string | readonly string[] | undefined> = {}): Promise<T> {
    const url = new URL(path, this.endpoint.endsWith('/') ? this.endpoint : `${this.endpoint}/`);
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === 'string') url.searchParams.set(key, value);
      else if (value !== undefined) for (const item of value) url.searchParams.append(key, item);
    }
    const headers: Record<string, string> = this.apiKey ? { Authorization: `Bearer ${this.apiKey}` } : {};
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new Error(`cannot reach the decision API at ${this.endpoint} (${cause}); is the collector running?`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = parseJsonExact(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const message = (body as { error?: string } | undefined)?.error ?? text;
      const hint = response.status === 401 && !this.apiKey ? ' (pass --api-key or set DT_API_KEY)' : '';
      throw new ApiError(response.status, `${message}${hint}`);
    }
    return body as T;
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`${status}: ${message}`);
  }
}

/** `--api-key`, else `$DT_API_KEY`; an empty value means none. */
export function resolveApiKey(option: string | undefined): string | undefined {
  const key = option ?? process.env.DT_API_KEY;
  return key === undefined || key === '' ? undefined : key;
}
