import { HttpError } from '../../../http/http-error.js';

export type Role = 'read' | 'write' | 'admin';

/** Who is asking: the key's name, role and tenant (null: every tenant). */
export interface Principal {
  name: string;
  role: Role;
  tenant: string | null;
}

/** Without `auth` the API serves everyone as if with an admin key (a local setup). */
export const UNAUTHENTICATED: Principal = { name: 'anonymous', role: 'admin', tenant: null };

/**
 * What a route needs: `read` (the GET routes), `write` (POST /v1/events) or `admin` (the audit
 * log). Admin may do everything; read and write keys only their own kind of route.
 */
export function requireRole(principal: Principal, needed: Role): void {
  if (principal.role === 'admin' || principal.role === needed) return;
  const allowed = needed === 'admin' ? 'admin' : `${needed} or admin`;
  throw new HttpError(403, `key "${principal.name}" has role ${principal.role}; this route needs role ${allowed}`);
}

/**
 * The tenant a request may see: a scoped key's own tenant whether or not it was asked for; asking
 * for another tenant is a 403 rather than an empty answer, so a misconfigured client notices.
 * An unscoped (admin) key sees what it asked for, or every tenant (undefined).
 */
export function scopeTenant(principal: Principal, asked: string | undefined | null): string | undefined {
  const wanted = asked === null || asked === undefined || asked === '' ? undefined : asked;
  if (principal.tenant === null) return wanted;
  if (wanted !== undefined && wanted !== principal.tenant) {
    throw new HttpError(403, `key "${principal.name}" may not read tenant "${wanted}"`);
  }
  return principal.tenant;
}
