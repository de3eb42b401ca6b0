// Where the transport's TCP sockets are made: the peer listener and the dial to a peer. The one
// place a future mTLS (`--peer-tls-*`) adds Bun's `tls` option, so both roles get it alike; the
// handshake (handshake.ts) then runs over the wrapped socket unchanged.
import type { Socket, TCPSocketListener } from "bun";
import type { HostPort } from "./address.ts";
import { TransportError } from "./errors.ts";

export interface ListenHandlers<T> {
  open(socket: Socket<T>): void;
  data(socket: Socket<T>, chunk: Uint8Array): void;
  drain(socket: Socket<T>): void;
  close(socket: Socket<T>): void;
  error(socket: Socket<T>, error: Error): void;
}

/** Listen for peers on host:port; a port clash fails loudly (exclusive) instead of sharing it. */
export function listenPeers<T>(at: HostPort, handlers: ListenHandlers<T | undefined>): TCPSocketListener<T | undefined> {
  try {
    return Bun.listen<T | undefined>({
      hostname: at.host,
      port: at.port,
      exclusive: true,
      data: undefined,
      socket: {
        binaryType: "uint8array",
        ...handlers,
        // The idle timeout is armed only after a refusal (see inbound-connection.ts): then the socket goes.
        timeout: (socket) => socket.terminate(),
      },
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TransportError("listen_failed", `cannot listen on ${at.host}:${at.port}: ${detail}`);
  }
}

export interface DialHandlers {
  open(socket: Socket<undefined>): void;
  data(chunk: Uint8Array): void;
  drain(): void;
  /** The connection ended: closed by the peer, an error, or no connection at all. */
  failed(event: "peer_disconnected" | "connection_error" | "connect_failed", detail: string): void;
}

/** Dial a peer; every outcome arrives through `handlers`, never as a thrown error or a rejection. */
export function dialPeer(target: HostPort, handlers: DialHandlers): void {
  try {
    Bun.connect({
      hostname: target.host,
      port: target.port,
      socket: {
        binaryType: "uint8array",
        open: (socket) => handlers.open(socket),
        data: (_socket, chunk) => handlers.data(chunk),
        drain: () => handlers.drain(),
        close: (_socket, error) => handlers.failed("peer_disconnected", error?.message ?? "closed by peer"),
        error: (_socket, error) => handlers.failed("connection_error", error.message),
        connectError: (_socket, error) => handlers.failed("connect_failed", error.message),
      },
    }).catch(() => {
      // connectError above has handled it; this only keeps the rejection from being unhandled.
    });
  } catch (error) {
    handlers.failed("connect_failed", error instanceof Error ? error.message : String(error));
  }
}
