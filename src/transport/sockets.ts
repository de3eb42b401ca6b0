// Where the transport's sockets are made: the peer listener and the dial to a peer, over plain TCP
// or, with peer TLS, with Bun's `tls` option on both roles alike (peer-tls.ts). With TLS the
// connection is reported through `handshake` once the TLS handshake is over; the YAKt handshake
// (handshake.ts) then runs over the encrypted socket unchanged.
import type { Socket, TCPSocketListener } from "bun";
import type { HostPort } from "./address.ts";
import { TransportError } from "./errors.ts";
import { dialerTlsOptions, listenerTlsOptions } from "./peer-tls.ts";
import type { PeerTlsMaterial } from "./peer-tls.ts";

export interface ListenHandlers<T> {
  open(socket: Socket<T>): void;
  data(socket: Socket<T>, chunk: Uint8Array): void;
  drain(socket: Socket<T>): void;
  close(socket: Socket<T>): void;
  error(socket: Socket<T>, error: Error): void;
  /** TLS only: the TLS handshake is over; `authorizationError` may be set even when `success` is. */
  handshake(socket: Socket<T>, success: boolean, authorizationError: Error | null): void;
}

/** Listen for peers on host:port; a port clash fails loudly (exclusive) instead of sharing it. */
export function listenPeers<T>(at: HostPort, tls: PeerTlsMaterial | null, handlers: ListenHandlers<T | undefined>): TCPSocketListener<T | undefined> {
  try {
    return Bun.listen<T | undefined>({
      hostname: at.host,
      port: at.port,
      exclusive: true,
      data: undefined,
      ...(tls === null ? {} : { tls: listenerTlsOptions(tls) }),
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
  /** TLS only: the TLS handshake is over; nothing may be written before it. */
  handshake(socket: Socket<undefined>, success: boolean, authorizationError: Error | null): void;
  /** The connection ended: closed by the peer, an error, or no connection at all. */
  failed(event: "peer_disconnected" | "connection_error" | "connect_failed", detail: string): void;
}

/** Dial a peer; every outcome arrives through `handlers`, never as a thrown error or a rejection. */
export function dialPeer(target: HostPort, tls: PeerTlsMaterial | null, handlers: DialHandlers): void {
  try {
    Bun.connect({
      hostname: target.host,
      port: target.port,
      ...(tls === null ? {} : { tls: dialerTlsOptions(tls) }),
      socket: {
        handshake: (socket, success, authorizationError) => handlers.handshake(socket, success, authorizationError),
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
