import { exceedsJsonNesting, MAX_NESTING_DEPTH, MAX_PAYLOAD_NESTING } from '@decision-trace/model';
import { HttpError } from '../../http/http-error.js';

/**
 * The JSON a `POST /v1/events` body may nest: the list, an event, then its payload as deep as
 * the store takes one (values at most MAX_NESTING_DEPTH levels, the limit of every input path;
 * see the model's json-nesting.ts). Checked on the text, before any parser sees it.
 */
export const EVENTS_BODY_NESTING = 2 + MAX_PAYLOAD_NESTING;

export function refuseDeepEventsBody(body: Uint8Array): void {
  if (exceedsJsonNesting(body, EVENTS_BODY_NESTING)) {
    throw new HttpError(400, `the body nests deeper than events whose payload values nest at most ${MAX_NESTING_DEPTH} levels; nothing was stored`);
  }
}
