// Wire format of the runtime's request/reply channel over the transport. A request is one kind
// byte then the opaque payload; a reply is one status byte then a body whose meaning depends on it.
import type { NodeId } from "../raft/types.ts";
import { ForwardError } from "./errors.ts";

export const REQUEST_FORWARD = 1;

export type ForwardReply =
  | { status: "ok"; body: Uint8Array }
  /** This node is not the leader; `leader` is who it believes is (0 = unknown). */
  | { status: "not_leader"; leader: NodeId }
  /** The leader has no forward handler registered yet (still starting). */
  | { status: "no_handler" }
  | { status: "handler_failed"; message: string };

const STATUS_BYTE = { ok: 0, not_leader: 1, no_handler: 2, handler_failed: 3 } as const;
/** Bound on an error message carried back, so a huge one cannot bloat a reply. */
const MAX_MESSAGE_BYTES = 4096;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeForwardRequest(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + payload.length);
  out[0] = REQUEST_FORWARD;
  out.set(payload, 1);
  return out;
}

/** Returns the payload of a forward request; throws ForwardError on anything else. */
export function decodeForwardRequest(frame: Uint8Array): Uint8Array {
  if (frame.length < 1 || frame[0] !== REQUEST_FORWARD) {
    throw new ForwardError(`unknown request kind ${frame.length < 1 ? "(empty)" : frame[0]} from peer`);
  }
  return frame.subarray(1);
}

export function encodeForwardReply(reply: ForwardReply): Uint8Array {
  switch (reply.status) {
    case "ok":
      return withStatus(STATUS_BYTE.ok, reply.body);
    case "not_leader": {
      const body = new Uint8Array(4);
      new DataView(body.buffer).setUint32(0, reply.leader);
      return withStatus(STATUS_BYTE.not_leader, body);
    }
    case "no_handler":
      return withStatus(STATUS_BYTE.no_handler, new Uint8Array(0));
    case "handler_failed":
      return withStatus(STATUS_BYTE.handler_failed, encoder.encode(reply.message).subarray(0, MAX_MESSAGE_BYTES));
  }
}

export function decodeForwardReply(frame: Uint8Array): ForwardReply {
  if (frame.length < 1) throw new ForwardError("empty forward reply from the leader");
  const body = frame.subarray(1);
  switch (frame[0]) {
    case STATUS_BYTE.ok:
      return { status: "ok", body };
    case STATUS_BYTE.not_leader:
      if (body.length !== 4) throw new ForwardError(`not-leader reply with a ${body.length}-byte body, expected 4`);
      return { status: "not_leader", leader: new DataView(body.buffer, body.byteOffset, 4).getUint32(0) };
    case STATUS_BYTE.no_handler:
      return { status: "no_handler" };
    case STATUS_BYTE.handler_failed:
      return { status: "handler_failed", message: decoder.decode(body) };
    default:
      throw new ForwardError(`unknown forward reply status ${frame[0]}`);
  }
}

function withStatus(status: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = status;
  out.set(body, 1);
  return out;
}
