import { z } from 'zod';
import { unsupportedKeyFields, withoutKeys, type UnsupportedKey } from '../config/unsupported-keys.js';
import { durationSchema } from '../config/values.js';

/**
 * The keys every queued exporter shares, with the OpenTelemetry Collector's exporterhelper
 * meaning and defaults: `retry_on_failure`, `sending_queue` and `timeout`.
 */
export const retryOnFailureSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Wait after the first failure. */
    initial_interval: durationSchema.default(5_000),
    /** Upper bound of the exponential wait (before randomization). */
    max_interval: durationSchema.default(30_000),
    /** Give up on a request after trying this long; 0 retries forever. */
    max_elapsed_time: durationSchema.default(300_000),
    multiplier: z.number().min(1, 'must be at least 1').default(1.5),
    /** Each wait is drawn uniformly from interval × [1 − factor, 1 + factor]. */
    randomization_factor: z.number().min(0).max(1, 'must be between 0 and 1').default(0.5),
  })
  .superRefine((value, ctx) => {
    if (value.initial_interval <= 0) ctx.addIssue({ code: 'custom', path: ['initial_interval'], message: 'must be greater than zero' });
    if (value.max_interval < value.initial_interval) {
      ctx.addIssue({ code: 'custom', path: ['max_interval'], message: 'must not be less than initial_interval' });
    }
    if (value.max_elapsed_time > 0 && value.max_elapsed_time < value.max_interval) {
      ctx.addIssue({ code: 'custom', path: ['max_elapsed_time'], message: 'must not be less than max_interval (or 0 for no limit)' });
    }
  });

/** 20 MiB, the OpenTelemetry Collector's default `max_request_body_size` of its receivers. */
const MAX_MERGED_BYTES = 20 * 1024 * 1024;

/** The Collector's sending_queue keys we do not implement, refused with what to do instead. */
const unsupportedQueueKeys = {
  wait_for_result: {
    accepts: (value: unknown) => value === false,
    instead:
      'a request is acknowledged once queued (with storage: once synced to disk), as wait_for_result: false; to acknowledge only after delivery, disable the queue (enabled: false)',
  },
  batch: {
    instead: 'put a batch processor in the pipeline before this exporter',
  },
} satisfies Record<string, UnsupportedKey>;

export const sendingQueueSchema = z
  .strictObject({
    ...unsupportedKeyFields(unsupportedQueueKeys),
    enabled: z.boolean().default(true),
    /** Requests sent at the same time, each with its own retries. */
    num_consumers: z.number().int().positive().default(10),
    /** Capacity, counted in `sizer` units. */
    queue_size: z.number().int().positive().default(1000),
    /** `requests`: incoming batches; `items`: spans (decision events for the decisions exporter). */
    sizer: z
      .enum(['requests', 'items'], {
        error: (issue) => (issue.input === 'bytes' ? 'sizer bytes is not supported by this collector: use requests or items' : 'expected requests or items'),
      })
      .default('requests'),
    /** Wait for room instead of refusing when full (the caller's request waits too). */
    block_on_overflow: z.boolean().default(false),
    /**
     * When full, drop requests that carry only context spans (counted) instead of refusing them,
     * and evict queued context-only requests to make room for decision data. Decision data itself
     * is never dropped: it is refused (or waits, with block_on_overflow) instead.
     */
    drop_context_on_overflow: z.boolean().default(false),
    /**
     * Where the queue is journaled so it survives a crash: a storage extension's id as in the
     * Collector (`file_storage` or `file_storage/<name>`, resolved to its directory by the config
     * loader: see storage-references.ts), or a directory path (our own shorthand).
     */
    storage: z.string().min(1, 'must be a storage extension id (file_storage/<name>) or a directory path').optional(),
    /**
     * Ours, not the Collector's: a consumer that takes a request also takes the requests waiting
     * behind it (up to these bounds) and sends them as one. Nothing waits for more data: a
     * request that finds no other waiting goes alone. Only for protobuf OTLP bodies, which merge
     * by concatenation; JSON bodies and decision events are sent one by one.
     */
    merge: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Items (spans, metric points, log records) one merged request may hold. */
        max_items: z.number().int().positive().default(8192),
        /** Body bytes (before compression) one merged request may hold; below the Collector's 20 MiB receiver limit. */
        max_bytes: z
          .number()
          .int()
          .positive()
          .max(MAX_MERGED_BYTES, `must be at most ${MAX_MERGED_BYTES} (the OpenTelemetry Collector's default receiver limit is 20 MiB)`)
          .default(8 * 1024 * 1024),
      })
      .prefault({}),
  })
  .transform(withoutKeys(unsupportedQueueKeys));

export type RetryConfig = z.output<typeof retryOnFailureSchema>;
export type SendingQueueConfig = z.output<typeof sendingQueueSchema>;

export const DEFAULT_RETRY: RetryConfig = retryOnFailureSchema.parse({});
export const DEFAULT_SENDING_QUEUE: SendingQueueConfig = sendingQueueSchema.parse({});
