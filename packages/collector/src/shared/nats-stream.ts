import { connect, RetentionPolicy, StorageType, nanos, type JetStreamManager, type NatsConnection } from 'nats';

/** Where decision events queue between collectors and writers. */
export interface StreamTarget {
  stream: string;
  subject: string;
}

/** Where the `decisions` exporter publishes and `decision-trace ingest` reads unless told otherwise. */
export const DEFAULT_STREAM_TARGET: Readonly<StreamTarget> = { stream: 'DECISIONS', subject: 'decisions.events' };

/** JetStream's API error for a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;
/** How long JetStream remembers message ids to drop re-published copies. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;

/**
 * Makes sure the stream exists and captures the subject. A missing stream is created with
 * work-queue retention (a message leaves once a writer acknowledged it) on file storage; an
 * existing one is used as it is, whatever its retention, so an operator can create it with
 * replicas, limits or another retention beforehand.
 */
export async function ensureStream(jsm: JetStreamManager, target: StreamTarget): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.streams.info(target.stream);
      const subjects = info.config.subjects ?? [];
      if (!subjects.some((pattern) => subjectMatches(pattern, target.subject))) {
        throw new Error(`stream ${target.stream} does not capture subject ${target.subject} (its subjects: ${subjects.join(', ') || 'none'})`);
      }
      return;
    } catch (error) {
      if (apiErrorCode(error) !== STREAM_NOT_FOUND || attempt > 0) throw error;
    }
    try {
      await jsm.streams.add({
        name: target.stream,
        subjects: [target.subject],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      });
      return;
    } catch {
      // Another collector or writer created it meanwhile: check what it made.
    }
  }
}

/** Whether a subject pattern (`*` one token, `>` the rest) captures a subject. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length) return false;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

function apiErrorCode(error: unknown): number | undefined {
  const apiError = (error as { api_error?: { err_code?: number } } | null)?.api_error;
  return apiError?.err_code;
}

/**
 * Connects, and keeps trying every `retryMs` while the server is unreachable, until `signal`
 * aborts. Once connected, the client reconnects by itself for as long as the process runs.
 */
export async function connectPersistently(
  url: string,
  name: string,
  options: { signal: AbortSignal; retryMs?: number; timeoutMs?: number; onRetry?(error: unknown): void },
): Promise<NatsConnection> {
  const servers = url.split(',').map((part) => part.trim());
  for (;;) {
    if (options.signal.aborted) throw new Error('stopped before NATS was reachable');
    try {
      return await connect({ servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: options.timeoutMs ?? 5_000 });
    } catch (error) {
      options.onRetry?.(error);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.retryMs ?? 1_000);
      options.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
