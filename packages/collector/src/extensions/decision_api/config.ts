import { z } from 'zod';
import { endpointSchema, storageUrlSchema } from '../../config/values.js';
import { serverLimitsShape } from '../../http/server-limits.js';

/** Shorter keys are guessable; a key from an unset `${env:...}` is empty and fails here too. */
export const MIN_API_KEY_LENGTH = 16;

const apiKeySchema = z
  .strictObject({
    /** Who holds the key: written to the audit log, never the key itself. */
    name: z.string().trim().min(1, 'name the key (it appears in the audit log)'),
    key: z.string().min(MIN_API_KEY_LENGTH, `a key needs at least ${MIN_API_KEY_LENGTH} characters (is the environment variable it comes from set?)`),
    tenant: z.string().trim().min(1, 'must not be empty').optional(),
    role: z.enum(['read', 'write', 'admin']),
  })
  .superRefine((entry, ctx) => {
    if (entry.role === 'admin' && entry.tenant !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'an admin key reads every tenant: remove tenant' });
    }
    if (entry.role !== 'admin' && entry.tenant === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: `required: a ${entry.role} key is scoped to one tenant` });
    }
  });

/**
 * Keys are secrets: problems are reported by position only, never by echoing a key. A key (or a
 * name) listed twice would make the audit log or the key's tenant ambiguous.
 */
export const apiAuthSchema = z.strictObject({
  api_keys: z
    .array(apiKeySchema)
    .min(1, 'list at least one {name, key, role, tenant}, or remove auth to serve without keys')
    .superRefine((keys, ctx) => {
      for (const field of ['key', 'name'] as const) {
        const firstIndex = new Map<string, number>();
        keys.forEach((entry, index) => {
          const earlier = firstIndex.get(entry[field]);
          if (earlier === undefined) firstIndex.set(entry[field], index);
          else ctx.addIssue({ code: 'custom', path: [index, field], message: `the same ${field} as api_keys[${earlier}]: each ${field} must be distinct` });
        });
      }
    }),
});

export type ApiAuthConfig = z.output<typeof apiAuthSchema>;
export type ApiKeyConfig = ApiAuthConfig['api_keys'][number];

export const decisionApiSchema = z.strictObject({
  endpoint: endpointSchema.default({ host: '127.0.0.1', port: 8711 }),
  /**
   * The store the API reads and `POST /v1/events` writes. Absent: the store the pipelines'
   * `decisions` exporter writes (see storageFromPipelines); the same URL shares one handle.
   */
  storage: storageUrlSchema.optional(),
  max_request_body_size: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  ...serverLimitsShape,
  /** Absent: no keys asked, every tenant readable (a local setup). */
  auth: apiAuthSchema.optional(),
});

export type DecisionApiConfig = z.output<typeof decisionApiSchema>;
