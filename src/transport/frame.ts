// Frames on a peer connection: u32 length (of what follows), u8 kind, body. The length covers the
// kind byte, so an empty body is length 1; it never exceeds the configured maxFrameBytes.
import { putUint32 } from "./byte-writer.ts";
import { EncodeError } from "./errors.ts";

// Codes are pinned: they are the wire format. A new kind gets the next free number; a retired
// number is never reused.
export const FrameKind = {
  /** Dialer → listener: version, features, cluster id, node id, nonce. */
  Handshake: 1,
  /** Listener → dialer: accepted (or, with a peer secret, the listener's proof); its own Hello. */
  HandshakeAck: 2,
  /** Listener → dialer: refused, with the reason; the listener then closes. */
  HandshakeRefuse: 3,
  /** Dialer → listener: a batch of Raft messages (message-codec). */
  Messages: 4,
  /** Dialer → listener: request id + opaque payload. */
  Request: 5,
  /** Listener → dialer: request id + opaque reply. */
  Reply: 6,
  /** Listener → dialer: request id + UTF-8 error message. */
  ErrorReply: 7,
  /** Dialer → listener, with a peer secret: the dialer's MAC over the handshake (peer-auth.ts). */
  HandshakeProof: 8,
} as const;

export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const FRAME_HEADER_BYTES = 5;
const KINDS = new Set<number>(Object.values(FrameKind));

export function isFrameKind(value: number): value is FrameKind {
  return KINDS.has(value);
}

export interface Frame {
  kind: FrameKind;
  body: Uint8Array;
}

/** One contiguous frame made of the header and `parts` concatenated. */
export function encodeFrame(kind: FrameKind, parts: readonly Uint8Array[], maxFrameBytes: number): Uint8Array {
  let bodyBytes = 0;
  for (const part of parts) bodyBytes += part.length;
  const length = 1 + bodyBytes;
  if (length > maxFrameBytes) {
    throw new EncodeError(`frame of ${length} bytes exceeds maxFrameBytes ${maxFrameBytes}`);
  }
  const frame = new Uint8Array(4 + length);
  putUint32(frame, 0, length);
  frame[4] = kind;
  let pos = FRAME_HEADER_BYTES;
  for (const part of parts) {
    frame.set(part, pos);
    pos += part.length;
  }
  return frame;
}
