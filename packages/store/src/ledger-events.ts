import { parseJsonExact, type ReadonlyDecisionEvent } from '@decision-trace/model';
import { assertAppendableKeys, assertPayloadNesting, EVENT_NESTING_WITHIN_PAYLOAD_LIMIT } from './appendable-event.js';
import { ledgerCanonicalJson, ledgerCanonicalJsonReadBack, shallowLedgerCanonicalJsonReadBack } from './ledger-hash.js';

/** Events as the ledger keeps them: what every backend folds into records, and their JSON. */
export interface LedgerEvents {
  /**
   * Each event as its ledger row reads back: the caller's object when its JSON reads back as it
   * (nearly always), else the value parseJsonExact reads from that JSON. The caller's objects
   * are never changed.
   */
  events: readonly ReadonlyDecisionEvent[];
  /** Each event's canonical JSON (ledger-hash.ts): the ledger's `event` column and the input of its hash. */
  eventJson: string[];
}

/**
 * Checks (assertAppendable, in two halves) and encodes events for the ledger, a lone surrogate in any string as
 * U+FFFD (withoutLoneSurrogates). A record must be the fold of its ledger rows, which is what
 * verification refolds. An in-process caller may hand over values whose JSON differs from them —
 * a Date where the schema has an RFC 3339 string (the ledger holds its ISO string), a Map (`{}`),
 * undefined or a function (dropped), a bigint within 2^53 (a number) — and the fold treats some
 * of them differently from their text: a Date as `start_time` is refused live and accepted from
 * the ledger. So such an event is folded as its JSON reads back, as it would be had it come
 * through `POST /v1/events` (the SDK's HTTP sink). Throws for an event no store may keep.
 */
export function toLedgerEvents(input: readonly ReadonlyDecisionEvent[]): LedgerEvents {
  const eventJson: string[] = new Array(input.length);
  let events = input;
  for (let i = 0; i < input.length; i++) {
    const event = input[i]!;
    assertAppendableKeys(event);
    // One walk for the nesting check and the JSON when the event is shallow and plain (nearly
    // always); else the payload's check first, which also stops a cyclic one, then the JSON.
    let encoded = shallowLedgerCanonicalJsonReadBack(event, EVENT_NESTING_WITHIN_PAYLOAD_LIMIT);
    if (encoded === null) {
      assertPayloadNesting(event);
      encoded = ledgerCanonicalJsonReadBack(event);
    }
    const { json, readsBack } = encoded;
    // JSON.stringify escapes a surrogate only when it is lone; a backslash before `ud` is
    // written `\\ud`, so this rarely sends well-formed text down the slower path.
    const wellFormed = json.includes('\\ud') ? withoutLoneSurrogates(json) : json;
    eventJson[i] = wellFormed;
    if (!readsBack || wellFormed !== json) {
      if (events === input) events = input.slice();
      (events as ReadonlyDecisionEvent[])[i] = parseJsonExact(wellFormed) as ReadonlyDecisionEvent;
    }
  }
  return { events, eventJson };
}

/** An escape `\ud800` … `\udfff` (JSON.stringify writes lowercase) after an even run of backslashes, so not itself escaped. */
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * Canonical JSON with every lone surrogate as U+FFFD, as UTF-8 text (the databases' text columns,
 * the OTLP protobuf decoder, Go's JSON decoder) can hold it: a decision id, tenant or outcome
 * with one would otherwise be one text in the ledger and another in the columns, and fail
 * verification. Encoded again, since the replacement can change the order of object keys.
 */
function withoutLoneSurrogates(json: string): string {
  const replaced = json.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd');
  return replaced === json ? json : ledgerCanonicalJson(parseJsonExact(replaced));
}
