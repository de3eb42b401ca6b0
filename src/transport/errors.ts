// Errors of the peer transport. `code` is stable: the node runtime matches on it.

export type TransportErrorCode =
  /** The peer is not in the peer list, not connected, or its queue is full. */
  | "unreachable"
  /** No reply within the caller's timeout. */
  | "timeout"
  /** The connection dropped while the request was in flight, or the transport was stopped. */
  | "closed"
  /** The peer's request handler failed; the message is the peer's. */
  | "remote_error"
  /** A caller passed a bad argument (address, timeout, oversize payload); nothing was sent. */
  | "invalid"
  /** The listening socket could not be opened (port in use, bad host). */
  | "listen_failed";

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

/** Bytes from the wire that do not form a valid frame or message; the connection is dropped. */
export class DecodeError extends Error {
  readonly code = "bad_frame";
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

/** A message the local Raft core produced cannot be encoded (a bug upstream); it is dropped. */
export class EncodeError extends Error {
  readonly code = "bad_message";
  constructor(message: string) {
    super(message);
    this.name = "EncodeError";
  }
}
