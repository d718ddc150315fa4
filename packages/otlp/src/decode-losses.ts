/**
 * How many times the protobuf decoder left something of the request out of what it returned:
 * a skipped field (unknown, or of an unexpected wire type), an attribute key that appeared
 * again (the last value wins), an AnyValue member that lost to another one. The decoder
 * compares the count before and after a message to know whether the decoded message says all
 * its bytes say, which decides whether those bytes may be forwarded as they are
 * (received-encoding.ts). A counter rather than a flag per message keeps the hot loops free of
 * bookkeeping: one increment where something is dropped, which is rare.
 *
 * `tracking` is on only while a decode keeps the received bytes (the receiver asks for that when
 * some exporter downstream forwards them). Of the checks, only the repeated attribute key costs
 * anything — a property lookup per attribute, about a tenth of decoding a span — so it runs only
 * then; the other increments sit where something is dropped anyway and are left unconditional.
 */
export const decodeLosses = { count: 0, tracking: false };
