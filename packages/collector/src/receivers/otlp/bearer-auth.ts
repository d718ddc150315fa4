import { createHash } from 'node:crypto';
import type { AuthConfig } from './config.js';

export type AuthOutcome =
  | { ok: true; tenant: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'invalid'; message: string };

const BEARER = /^Bearer[ \t]+([^ \t].*?)[ \t]*$/i;

/**
 * Bearer tokens mapped to tenants. Tokens are kept and compared only as SHA-256 digests, so a
 * lookup's timing says nothing about how much of a guessed token was right.
 */
export class BearerTokenAuthenticator {
  private readonly tenants = new Map<string, string>();

  constructor(config: AuthConfig) {
    for (const { token, tenant } of config.bearer_tokens) this.tenants.set(digest(token), tenant);
  }

  /** `authorization` is the header (HTTP) or metadata value (gRPC) as received. */
  authenticate(authorization: string | undefined): AuthOutcome {
    if (authorization === undefined || authorization === '') {
      return { ok: false, reason: 'missing', message: 'missing credentials: send "Authorization: Bearer <token>"' };
    }
    const match = BEARER.exec(authorization);
    if (!match) {
      return { ok: false, reason: 'malformed', message: 'unsupported authorization scheme: expected "Bearer <token>"' };
    }
    const tenant = this.tenants.get(digest(match[1]));
    if (tenant === undefined) return { ok: false, reason: 'invalid', message: 'invalid bearer token' };
    return { ok: true, tenant };
  }
}

/** The `WWW-Authenticate` challenge for a 401 (RFC 6750 §3). */
export function bearerChallenge(outcome: Extract<AuthOutcome, { ok: false }>): string {
  if (outcome.reason !== 'invalid') return 'Bearer realm="otlp"';
  return 'Bearer realm="otlp", error="invalid_token"';
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
