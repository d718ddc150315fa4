export * from './settings.js';
export { validateRedactionSettings, RedactionSettingsError, DECISION_STRUCTURE_KEYS, type RedactionSettingsProblem } from './compile.js';
export { createRedactor, type Redactor } from './redactor.js';
export { decodeRedactions, encodeRedactions, isNoteWrittenHere, mergeRedactions } from './redactions-attribute.js';
export { isSensitiveKey } from './key-patterns.js';
export { ipNetworkPrefix, parseIpv6 } from './derive.js';
export { keyedHash } from './keyed-hash.js';
