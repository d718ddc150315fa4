import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/** HTTP/2's default flow-control window (RFC 9113 §6.9.2), and the largest one allowed. */
export const HTTP2_DEFAULT_WINDOW = 65_535;
const HTTP2_MAX_WINDOW = 2 ** 31 - 1;

/**
 * The receive window the gRPC receiver offers, per stream and per connection: the largest
 * message it accepts, so that such a message arrives without waiting for a window update.
 */
export function receiveWindowFor(maxMessageBytes: number): number {
  return Math.min(HTTP2_MAX_WINDOW, Math.max(HTTP2_DEFAULT_WINDOW, Math.floor(maxMessageBytes)));
}

/** What grpc-js 1.14 (pinned) keeps of the HTTP/2 servers it listens with. Not public API. */
interface GrpcServerInternals {
  http2Servers?: Map<Http2Server | Http2SecureServer, unknown>;
}

/**
 * Raises the HTTP/2 receive windows of the servers `server` listens with (call it after
 * `bindAsync`): `initialWindowSize` in the SETTINGS each new connection is sent (per stream), and
 * each new connection's own window (`setLocalWindowSize`, a WINDOW_UPDATE at its start).
 *
 * Why: grpc-js leaves a server's windows at HTTP/2's 64 KiB, with no option to raise them
 * (grpc/grpc-node#3058 proposes one; grpc-go's server grows its windows by BDP estimation up to
 * 16 MiB, grpc-java's start at 1 MiB). With 64 KiB per connection, a client with several calls
 * in flight on its one channel sends little more than one 40 KiB request per round trip and waits
 * for a WINDOW_UPDATE, which the receiver sends only when its event loop gets to the data: the
 * requests arrive one or two at a time, so the store's group commits are small and cost more per
 * span (the ingest benchmark: 3.6 requests per group over gRPC against 5.9 over HTTP/1.1, and
 * about 1.25× the CPU per span). Memory is bounded as before: grpc-js reads every call's data as
 * it comes, up to `max_recv_msg_size_mib`, whatever the window.
 *
 * grpc-js does not expose its HTTP/2 servers, so this reads them from the pinned version's
 * internals; it returns false, changing nothing, when they are not there (another grpc-js), which
 * the receiver logs and `receiver-grpc.test.ts` fails on.
 */
export function raiseReceiveWindows(server: Server, windowBytes: number): boolean {
  const http2Servers = (server as unknown as GrpcServerInternals).http2Servers;
  if (!(http2Servers instanceof Map) || http2Servers.size === 0) return false;
  for (const http2Server of http2Servers.keys()) {
    if (typeof http2Server.updateSettings !== 'function') return false;
    http2Server.updateSettings({ initialWindowSize: windowBytes });
    http2Server.on('session', (session: ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        // The connection closed before its start: nothing to raise.
      }
    });
  }
  return true;
}
