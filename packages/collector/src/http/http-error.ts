/** An HTTP answer decided before the handler finished: status, message, optional headers. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

/** 413 for a body whose decompressed size passes `limit`, whichever decoder noticed. */
export function decompressedTooLarge(limit: number): HttpError {
  return new HttpError(413, `decompressed request body exceeds the limit of ${limit} bytes`);
}
