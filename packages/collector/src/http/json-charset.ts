import { isUtf8 } from 'node:buffer';
import { HttpError } from './http-error.js';

/**
 * JSON bodies are UTF-8 (RFC 8259 §8.1), on every route that takes JSON. A declared charset
 * other than UTF-8 is refused (415) rather than read as UTF-8, and bytes that are not UTF-8 are
 * a 400, as binary protobuf's strings are: never silently turned into U+FFFD.
 */
export function refuseNonUtf8Charset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '')?.[1];
  if (charset === undefined) return;
  const name = charset.toLowerCase();
  if (name !== 'utf-8' && name !== 'utf8') {
    throw new HttpError(415, `unsupported charset "${charset}": JSON bodies must be UTF-8`);
  }
}

export function refuseInvalidUtf8(body: Uint8Array): void {
  if (!isUtf8(body)) throw new HttpError(400, 'the body is not valid UTF-8');
}
