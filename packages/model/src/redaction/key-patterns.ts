/**
 * Field-path matching: globs, and the built-in recognition of keys that name secrets.
 *
 * A field path is an attribute key (`decision.evidence.api_key`), extended with `.` and the
 * nested key for values inside kvlists and JSON strings (`decision.factors.card.number`).
 */

/** `*` any run of characters (dots included), `?` one character; everything else literal. */
export function globToRegExp(glob: string, ignoreCase: boolean): RegExp {
  let source = '^';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${source}$`, ignoreCase ? 'is' : 's');
}

/** True when `path` is `key` or ends with `.key` (so `email` matches `user.email`). */
export function pathEndsWithKey(path: string, key: string): boolean {
  if (path.length === key.length) return path === key;
  return path.length > key.length && path.endsWith(key) && path.charCodeAt(path.length - key.length - 1) === DOT;
}

const DOT = 46;

/**
 * Words that make a key sensitive wherever they stand in its last segment (`db_password`,
 * `password_hash`, `authHeader`, `client_secret`).
 */
const SENSITIVE_ANYWHERE = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'credential',
  'credentials',
  'auth',
  'authorization',
  'apikey',
  'cookie',
  'cookies',
  'bearer',
]);

/**
 * Words that make a key sensitive only as its last word: `access_token` and `authToken` name a
 * token, `token_count` and `input_tokens` count them (the LLM usage attributes must survive).
 */
const SENSITIVE_LAST = new Set(['token', 'pwd', 'accesstoken', 'refreshtoken']);

/** Adjacent word pairs that name a secret together but not apart (`api_key`, `x-api-key`, `privateKey`). */
const SENSITIVE_PAIRS = new Set(['api key', 'private key', 'secret key', 'session id', 'access key']);

/**
 * The default rule: does the last segment of the path name a secret? Case-insensitive; words
 * are split at `_`, `-`, spaces and camelCase humps.
 */
export function isSensitiveKey(path: string): boolean {
  const leaf = path.slice(path.lastIndexOf('.') + 1);
  if (leaf === '') return false;
  const words = splitWords(leaf);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (SENSITIVE_ANYWHERE.has(word)) return true;
    if (i === words.length - 1 && SENSITIVE_LAST.has(word)) return true;
    if (i > 0 && SENSITIVE_PAIRS.has(`${words[i - 1]} ${word}`)) return true;
  }
  return false;
}

function splitWords(leaf: string): string[] {
  return leaf
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_\-]+/)
    .filter((word) => word !== '');
}
