import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { readBearerToken, secretDigest } from '../../../http/bearer-token.js';
import type { ApiAuthConfig } from '../config.js';
import type { Principal } from './access.js';

export type KeyCheck = { ok: true; principal: Principal } | { ok: false; message: string };

interface StoredKey {
  digest: Buffer;
  principal: Principal;
}

/**
 * The API keys of `decision_api.auth`. A key arrives as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`. Every stored key is compared (in constant time, as SHA-256 digests) on
 * every request, so neither the answer's timing nor its path says which key came close.
 */
export class ApiKeyring {
  private readonly keys: StoredKey[];

  constructor(config: ApiAuthConfig) {
    this.keys = config.api_keys.map((entry) => ({
      digest: secretDigest(entry.key),
      principal: { name: entry.name, role: entry.role, tenant: entry.tenant ?? null },
    }));
  }

  authenticate(headers: IncomingHttpHeaders): KeyCheck {
    const presented = presentedKey(headers);
    if (!presented.ok) return presented;
    const digest = secretDigest(presented.key);
    let match: Principal | undefined;
    for (const stored of this.keys) {
      if (timingSafeEqual(stored.digest, digest) && match === undefined) match = stored.principal;
    }
    return match === undefined ? { ok: false, message: 'unknown API key' } : { ok: true, principal: match };
  }
}

function presentedKey(headers: IncomingHttpHeaders): { ok: true; key: string } | { ok: false; message: string } {
  const header = headers['x-api-key'];
  const apiKey = Array.isArray(header) ? header[0] : header;
  if (apiKey !== undefined && apiKey.trim() !== '') return { ok: true, key: apiKey.trim() };
  const bearer = readBearerToken(headers.authorization);
  if (bearer.ok) return { ok: true, key: bearer.token };
  if (bearer.reason === 'missing') return { ok: false, message: 'missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"' };
  return { ok: false, message: bearer.message };
}
