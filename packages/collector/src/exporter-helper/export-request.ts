/**
 * One unit of work in an exporter's queue: the request body, encoded once when it was
 * accepted (so a persistent queue stores exactly what will be sent), and what it holds.
 */
export interface ExportRequest {
  body: Uint8Array;
  /** Spans for an OTLP exporter, decision events for the decisions exporter. */
  items: number;
  /** True when the request holds decision data or decision spans: it is never dropped for room. */
  carriesDecisions: boolean;
}

/** What a destination said about a request it accepted: some items may have been rejected. */
export interface SendOutcome {
  rejectedItems: number;
  message?: string;
}

/** One attempt to deliver a request; throws (an ExportError or any other error) when it failed. */
export interface RequestSender {
  start?(): Promise<void>;
  send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome | void>;
  close?(): Promise<void>;
}
