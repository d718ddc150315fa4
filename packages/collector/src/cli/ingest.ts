import { AckPolicy, DeliverPolicy, nanos, type JetStreamManager, type JsMsg, type NatsConnection } from 'nats';
import { pino, type Logger } from 'pino';
import { exceedsJsonNesting, MAX_NESTING_DEPTH, MAX_PAYLOAD_NESTING, parseCanonicalEvents, parseJsonExact, type DecisionEvent } from '@decision-trace/model';
import { openStore, type LedgerWriter } from '@decision-trace/store';
import { parseDuration } from '../config/values.js';
import { connectPersistently, ensureStream } from '../shared/nats-stream.js';

export interface IngestOptions {
  from: string;
  stream: string;
  subject: string;
  storage: string;
  durable: string;
  batch: string;
  ackWait: string;
  logLevel: string;
}

/** JetStream's API error for a consumer that does not exist. */
const CONSUMER_NOT_FOUND = 10014;
/** How long one fetch waits for messages before the loop looks again (and notices a stop). */
const FETCH_EXPIRES_MS = 1_000;
/** A batch the store refused comes back after this long (the store is likely down). */
const STORE_RETRY_MS = 1_000;

const decoder = new TextDecoder();

interface Totals {
  messages: number;
  appended: number;
  duplicates: number;
  invalid: number;
}

/**
 * `decision-trace ingest`: a stateless store writer. It takes batches of messages from a
 * JetStream durable consumer shared by every writer (each message goes to one of them), appends
 * their decision events to the store in one transaction, and acknowledges the messages only
 * after that transaction committed. A writer that dies before acknowledging leaves its messages
 * to be redelivered (after the consumer's ack wait) to another writer; the store ignores events
 * it already has (tenant, event id), so a redelivery never duplicates anything.
 */
export async function ingestCommand(options: IngestOptions): Promise<void> {
  const settings = parseOptions(options);
  if (typeof settings === 'string') {
    process.stderr.write(`decision-trace ingest: ${settings}\n`);
    process.exit(2);
  }
  const logger = pino({ level: options.logLevel, base: { service: 'decision-trace-ingest' } });
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    logger.info({ signal }, 'stopping after the current batch');
    stop.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const store = await openStore(options.storage);
  let nc: NatsConnection | undefined;
  const totals: Totals = { messages: 0, appended: 0, duplicates: 0, invalid: 0 };
  try {
    let warned = false;
    nc = await connectPersistently(options.from, `decision-trace ingest (${options.durable})`, {
      signal: stop.signal,
      onRetry: (error) => {
        if (!warned) logger.warn({ err: error, url: options.from }, 'NATS is not reachable yet; retrying');
        warned = true;
      },
    });
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, { stream: options.stream, subject: options.subject });
    await ensureConsumer(jsm, options, settings.ackWaitMs, logger);
    const consumer = await nc.jetstream().consumers.get(options.stream, options.durable);
    logger.info({ server: nc.getServer(), stream: options.stream, consumer: options.durable, storage: redact(options.storage) }, 'ingest started');
    while (!stop.signal.aborted) {
      let messages: JsMsg[];
      try {
        messages = [];
        for await (const message of await consumer.fetch({ max_messages: settings.batch, expires: FETCH_EXPIRES_MS })) messages.push(message);
      } catch (error) {
        logger.warn({ err: error }, 'fetching from JetStream failed; retrying');
        await sleep(STORE_RETRY_MS, stop.signal);
        continue;
      }
      if (messages.length === 0) continue;
      if (await writeBatch(messages, store, logger, totals)) await nc.flush();
      else await sleep(STORE_RETRY_MS, stop.signal);
    }
  } finally {
    await nc?.drain().catch(() => undefined);
    await store.close();
    logger.info(totals, 'ingest stopped');
  }
}

/**
 * Appends the events of a batch of messages in one transaction, then acknowledges them. A
 * message that is not a JSON array of events can never succeed and is terminated (logged); if
 * the store refuses the batch, every message is handed back for redelivery.
 */
async function writeBatch(messages: JsMsg[], store: Pick<LedgerWriter, 'append'>, logger: Logger, totals: Totals): Promise<boolean> {
  const events: DecisionEvent[] = [];
  const accepted: JsMsg[] = [];
  for (const message of messages) {
    // A payload past the nesting limit of every input path would make the store refuse the
    // whole batch, and it would come back for ever: it is invalid, checked before parsing.
    if (exceedsJsonNesting(message.data, 2 + MAX_PAYLOAD_NESTING)) {
      logger.error({ seq: message.seq }, `message nests deeper than events whose payload values nest at most ${MAX_NESTING_DEPTH} levels; terminating it`);
      message.term('nested too deep');
      totals.invalid += 1;
      continue;
    }
    let body: unknown;
    try {
      body = parseJsonExact(decoder.decode(message.data));
    } catch (error) {
      logger.error({ err: error, seq: message.seq }, 'message is not JSON; terminating it');
      message.term('not JSON');
      totals.invalid += 1;
      continue;
    }
    const parsed = parseCanonicalEvents(body);
    if (parsed.errors.length > 0) {
      totals.invalid += new Set(parsed.errors.map((e) => e.index)).size;
      logger.error({ seq: message.seq, errors: parsed.errors.slice(0, 5) }, 'message holds invalid decision events; they are skipped');
    }
    for (const event of parsed.events) events.push(event);
    accepted.push(message);
  }
  try {
    const result = await store.append(events);
    totals.appended += result.appended;
    totals.duplicates += result.duplicates;
  } catch (error) {
    logger.error({ err: error, messages: accepted.length }, 'the store refused the batch; its messages will be redelivered');
    for (const message of accepted) message.nak(STORE_RETRY_MS);
    return false;
  }
  for (const message of accepted) message.ack();
  totals.messages += accepted.length;
  logger.debug({ messages: accepted.length, events: events.length }, 'batch stored and acknowledged');
  return true;
}

/** The shared durable pull consumer; created by the first writer, found by the others. */
async function ensureConsumer(jsm: JetStreamManager, options: IngestOptions, ackWaitMs: number, logger: Logger): Promise<void> {
  try {
    const info = await jsm.consumers.info(options.stream, options.durable);
    if (info.config.filter_subject && info.config.filter_subject !== options.subject) {
      logger.warn(
        { consumer: options.durable, filter: info.config.filter_subject },
        'the durable consumer exists with another subject filter; using it as it is',
      );
    }
    return;
  } catch (error) {
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== CONSUMER_NOT_FOUND) throw error;
  }
  try {
    await jsm.consumers.add(options.stream, {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: options.subject,
      ack_wait: nanos(ackWaitMs),
      max_deliver: -1,
    });
  } catch (error) {
    // Another writer created it at the same moment.
    await jsm.consumers.info(options.stream, options.durable).catch(() => {
      throw error;
    });
  }
}

function parseOptions(options: IngestOptions): { batch: number; ackWaitMs: number } | string {
  for (const part of options.from.split(',')) {
    let url: URL;
    try {
      url = new URL(part.trim());
    } catch {
      return `--from ${options.from}: expected nats://host:port`;
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') return `--from ${options.from}: expected nats://host:port`;
  }
  const batch = Number(options.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) return `--batch ${options.batch}: expected 1 to 10000 messages`;
  const ackWaitMs = parseDuration(options.ackWait);
  if (ackWaitMs === undefined || ackWaitMs < 1000) return `--ack-wait ${options.ackWait}: expected a duration of at least 1s`;
  return { batch, ackWaitMs };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Storage URLs end up in logs; a database URL may carry a password. */
function redact(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}
