import { HttpError } from '../../http/http-error.js';

/** A percent-decoded path segment; malformed escapes (`%E0%A4%A`, `%zz`) are the client's error: 400. */
export function decodePathSegment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `invalid ${what} in the path: malformed percent-encoding "${raw}"`);
  }
}
