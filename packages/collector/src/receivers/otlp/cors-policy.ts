import type { CorsConfig } from './config.js';

/** Request headers a browser may always send (the CORS safelist) plus `Origin`. */
const ALWAYS_ALLOWED_HEADERS = ['accept', 'accept-language', 'content-language', 'content-type', 'origin'];

export type PreflightAnswer = { allowed: true; headers: Record<string, string> } | { allowed: false; reason: string };

/**
 * Cross-origin rules for browser SDKs, with the OpenTelemetry Collector's `cors` semantics: an
 * allowed origin may contain `*` wildcards (each matches any run of characters), credentials are
 * allowed, the safelisted request headers are always allowed and `X-Requested-With` too when no
 * headers are configured. The matching origin is echoed (never `*`), so browsers accept it
 * together with credentials.
 */
export class CorsPolicy {
  private readonly origins: string[];
  private readonly anyHeader: boolean;
  private readonly allowedHeaders: Set<string>;
  private readonly maxAge: number | undefined;

  constructor(config: CorsConfig) {
    this.origins = config.allowed_origins;
    const configured = config.allowed_headers.map((h) => h.toLowerCase());
    this.anyHeader = configured.includes('*');
    this.allowedHeaders = new Set([...ALWAYS_ALLOWED_HEADERS, ...(configured.length === 0 ? ['x-requested-with'] : configured)]);
    this.maxAge = config.max_age;
  }

  get enabled(): boolean {
    return this.origins.length > 0;
  }

  allowsOrigin(origin: string): boolean {
    return this.origins.some((pattern) => matchesOrigin(pattern, origin));
  }

  /** Headers for an actual (non-preflight) request from an allowed origin. */
  responseHeaders(origin: string): Record<string, string> {
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      // Browser exporters honour Retry-After only if they may read it.
      'Access-Control-Expose-Headers': 'Retry-After',
      Vary: 'Origin',
    };
  }

  /** Answers an `OPTIONS` preflight: which origin, method and headers the browser asks for. */
  preflight(origin: string, requestMethod: string, requestHeaders: string | undefined): PreflightAnswer {
    if (!this.allowsOrigin(origin)) return { allowed: false, reason: `origin ${origin} is not allowed (cors.allowed_origins)` };
    if (requestMethod.toUpperCase() !== 'POST') {
      return { allowed: false, reason: `method ${requestMethod} is not allowed: OTLP/HTTP accepts POST` };
    }
    const asked = (requestHeaders ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
    if (!this.anyHeader) {
      const refused = asked.filter((h) => !this.allowedHeaders.has(h.toLowerCase()));
      if (refused.length > 0) {
        return { allowed: false, reason: `request headers not allowed (cors.allowed_headers): ${refused.join(', ')}` };
      }
    }
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'POST',
      Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    };
    if (asked.length > 0) headers['Access-Control-Allow-Headers'] = asked.join(', ');
    if (this.maxAge !== undefined && this.maxAge > 0) headers['Access-Control-Max-Age'] = String(this.maxAge);
    return { allowed: true, headers };
  }
}

/**
 * Whether `origin` matches `pattern`, where `*` matches any run of characters; case-insensitive.
 * The two-pointer walk stays linear-ish for any pattern, unlike a regular expression, so a long
 * Origin header cannot make matching slow.
 */
export function matchesOrigin(pattern: string, origin: string): boolean {
  const p = pattern.toLowerCase();
  const o = origin.toLowerCase();
  let pi = 0;
  let oi = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (oi < o.length) {
    if (pi < p.length && p[pi] !== '*' && p[pi] === o[oi]) {
      pi++;
      oi++;
    } else if (pi < p.length && p[pi] === '*') {
      starAt = pi++;
      resumeAt = oi;
    } else if (starAt !== -1) {
      pi = starAt + 1;
      oi = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
