import { readBearerToken, secretDigest } from '../../http/bearer-token.js';
import type { AuthConfig } from './config.js';

export type AuthOutcome = { ok: true; tenant: string } | { ok: false; reason: 'missing' | 'malformed' | 'invalid'; message: string };

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
    const bearer = readBearerToken(authorization);
    if (!bearer.ok) return bearer;
    const tenant = this.tenants.get(digest(bearer.token));
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
  return secretDigest(token).toString('base64');
}
