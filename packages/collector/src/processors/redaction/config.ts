import { z } from 'zod';
import {
  DEFAULT_MAX_VALUE_LENGTH,
  DEFAULT_RULE_ACTIONS,
  DERIVATIONS,
  REDACTION_ACTIONS,
  VALUE_KINDS,
  validateRedactionSettings,
  type RedactionSettings,
} from '@decision-trace/model';

const ruleSchema = z.strictObject({
  name: z.string().optional(),
  key: z.string().optional(),
  key_glob: z.string().optional(),
  key_regex: z.string().optional(),
  value_regex: z.string().optional(),
  value_kind: z.enum(VALUE_KINDS).optional(),
  action: z.enum(REDACTION_ACTIONS),
  derive: z.enum(DERIVATIONS).optional(),
  ignore_case: z.boolean().optional(),
});

/**
 * The YAML block is the model's RedactionSettings as is; what zod cannot see (regexes that do
 * not compile, hash without a key, derive without a derivation) is checked by the model's own
 * validation and reported at the rule's YAML path.
 */
export const redactionProcessorSchema = z
  .strictObject({
    rules: z.array(ruleSchema).default([]),
    default_rules: z
      .strictObject({
        enabled: z.boolean().default(true),
        action: z.enum(DEFAULT_RULE_ACTIONS).default('mask'),
      })
      .prefault({}),
    allow_list: z
      .strictObject({
        keys: z.array(z.string().min(1, 'must not be empty')),
        keep_decision_keys: z.boolean().default(true),
      })
      .optional(),
    hash_key: z.string().optional(),
    max_value_length: z.number().int().min(0).default(DEFAULT_MAX_VALUE_LENGTH),
  })
  .superRefine((config, ctx) => {
    for (const problem of validateRedactionSettings(config)) {
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    }
  });

export type RedactionProcessorConfig = z.output<typeof redactionProcessorSchema>;

// The schema's output must stay assignable to what the model compiles.
const _settingsShape: (config: RedactionProcessorConfig) => RedactionSettings = (config) => config;
void _settingsShape;
