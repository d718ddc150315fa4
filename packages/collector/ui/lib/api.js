// The decision API client: same origin, the API key (if any) as a Bearer header, and a
// prompt for a key whenever the API answers 401.
import { askForApiKey } from '../components/key-dialog.js';

const KEY_STORAGE = 'decision-trace.api-key';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export function storedApiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY_STORAGE);
  document.dispatchEvent(new CustomEvent('dt:api-key'));
}

function rememberApiKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
  document.dispatchEvent(new CustomEvent('dt:api-key'));
}

/** Concurrent requests that all meet a 401 share one prompt. */
let pendingPrompt = null;

/** GET `path` with `params` (arrays repeat the key); resolves to the JSON body or throws ApiError. */
export async function apiGet(path, params = {}, { signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.append(key, String(v));
    }
  }
  let rejectedKey = null;
  for (;;) {
    const key = storedApiKey();
    const res = await fetch(url, { headers: key ? { Authorization: `Bearer ${key}` } : {}, signal });
    if (res.status === 401) {
      const message = key && key !== rejectedKey ? 'The API did not accept this key.' : 'This decision API needs an API key.';
      rejectedKey = key;
      pendingPrompt ??= askForApiKey(key ? 'The API did not accept the key. Enter another one.' : message).finally(() => {
        pendingPrompt = null;
      });
      const entered = await pendingPrompt;
      if (entered === null) throw new ApiError(401, 'An API key is needed to read decisions.', null);
      rememberApiKey(entered);
      continue;
    }
    const body = await res
      .text()
      .then(parseExactJson)
      .catch(() => null);
    if (!res.ok) throw new ApiError(res.status, body?.error ?? `${res.status} ${res.statusText}`, body);
    return body;
  }
}

/**
 * JSON.parse, but an integer beyond 2^53 (the API writes such evidence and payload values with
 * all their digits) becomes an exact BigInt, read from its source text where the browser
 * gives the reviver that text (JSON.parse source text access); elsewhere it stays a double.
 */
export function parseExactJson(text) {
  return JSON.parse(text, (_key, value, context) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && typeof context?.source === 'string' && /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value,
  );
}
