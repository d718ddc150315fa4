import { createHash } from 'node:crypto';

export type BearerToken = { ok: true; token: string } | { ok: false; reason: 'missing' | 'malformed'; message: string };

const BEARER = /^Bearer[ \t]+([^ \t].*?)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header (HTTP) or metadata value (gRPC). */
export function readBearerToken(authorization: string | undefined): BearerToken {
  if (authorization === undefined || authorization === '') {
    return { ok: false, reason: 'missing', message: 'missing credentials: send "Authorization: Bearer <token>"' };
  }
  const match = BEARER.exec(authorization);
  if (!match) {
    return { ok: false, reason: 'malformed', message: 'unsupported authorization scheme: expected "Bearer <token>"' };
  }
  return { ok: true, token: match[1] };
}

/**
 * Secrets are kept and compared only as SHA-256 digests: equal-length values for
 * `timingSafeEqual`, and a lookup's timing says nothing about how much of a guess was right.
 */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
