import { createHmac } from 'node:crypto';

/**
 * HMAC-SHA256 of a value as lowercase hex. Keyed, so a dictionary of likely values (every
 * email address) cannot be hashed to reverse it without the key; deterministic, so the same id
 * hashes the same everywhere and joins on hashed ids still work.
 */
export function keyedHash(key: string, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}
