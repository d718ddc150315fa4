import { InvalidQueryError } from '../invalid-query-error.js';

/**
 * An error as it crosses the thread boundary. Structured clone would keep only the message of
 * our own error classes, so the class is carried by name and rebuilt on the other side.
 */
export interface RemoteError {
  name: string;
  message: string;
  /** e.g. SQLITE_BUSY, which operators search logs for. */
  code?: string;
  stack?: string;
}

export function toRemoteError(error: unknown): RemoteError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
  };
}

/** Callers branch on InvalidQueryError (HTTP 400) and TypeError (a malformed event). */
export function rebuildError(remote: RemoteError): Error {
  const error = errorOfClass(remote);
  if (error.name !== remote.name) error.name = remote.name;
  if (remote.code !== undefined) Object.assign(error, { code: remote.code });
  // The worker's stack says where the failure happened; the main side's would only show the reply handler.
  if (remote.stack !== undefined) error.stack = remote.stack;
  return error;
}

function errorOfClass(remote: RemoteError): Error {
  switch (remote.name) {
    case 'InvalidQueryError':
      return new InvalidQueryError(remote.message);
    case 'TypeError':
      return new TypeError(remote.message);
    case 'RangeError':
      return new RangeError(remote.message);
    default:
      return new Error(remote.message);
  }
}
