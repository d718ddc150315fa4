/**
 * How many bytes of requests the receiver holds at once, over both protocols: the request bodies
 * (uncompressed) from the moment they are admitted until they are answered. Each body held is
 * also its decoded spans and decision events, which take many times its size, so this is what
 * bounds the receiver's share of memory when more clients send than the pipeline commits for:
 * without it every connection's request waits in memory for the store, and memory grows with the
 * number of clients until the process runs out. A request that does not fit is refused as busy
 * (503 / UNAVAILABLE with a retry delay), before it is decoded.
 */
export class RequestAdmission {
  #heldBytes = 0;

  constructor(readonly limitBytes: number) {}

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /**
   * Holds `bytes` more if they fit under the limit, or if nothing is held: a single request is
   * always admitted (max_request_body_size / max_recv_msg_size_mib bound its size), so a limit
   * below one request's size slows the receiver to one request at a time but never refuses all.
   */
  tryAcquire(bytes: number): boolean {
    if (this.#heldBytes > 0 && this.#heldBytes + bytes > this.limitBytes) return false;
    this.#heldBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#heldBytes -= bytes;
  }
}

/** Seconds a refused client waits before it retries (HTTP Retry-After, gRPC RetryInfo). */
export const ADMISSION_RETRY_AFTER_SECONDS = 1;

export function admissionRefusalMessage(limitBytes: number): string {
  return `the receiver already holds ${Math.round(limitBytes / (1024 * 1024))} MiB of requests (admission.request_limit_mib); retry later`;
}
