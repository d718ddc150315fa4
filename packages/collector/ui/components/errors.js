// An API failure as a notice the reader can act on.
import { notice } from './badges.js';

export function errorNotice(error, what) {
  if (error?.name === 'AbortError') return null;
  const status = error?.status;
  if (status === 401) return notice('error', `Cannot load ${what}`, 'An API key is needed. Reload the page to enter one.');
  if (status === 403) return notice('error', `Not allowed to read ${what}`, error.message);
  if (status === 404) return notice('info', `No ${what} found`, error.message);
  if (status === 400) return notice('error', `The API refused the request for ${what}`, error.message);
  return notice('error', `Cannot load ${what}`, error?.message ?? String(error));
}
