// Bodies of the handshake frames. The dialer introduces itself with a Hello; the listener answers
// with its own Hello (ack) or a refusal reason, then closes.
import { ByteReader } from "./byte-reader.ts";
import { ByteWriter } from "./byte-writer.ts";
import type { NodeId } from "../raft/types.ts";

export const HANDSHAKE_VERSION = 1;
/** Refusal reasons are cut to this many characters: they are for logs, not for data. */
const MAX_REASON_CHARS = 512;
const MAX_HELLO_BYTES = 1 + 2 + 0xffff + 4;

export interface Hello {
  version: number;
  clusterId: string;
  nodeId: NodeId;
}

export function encodeHello(hello: Hello): Uint8Array {
  const w = new ByteWriter(MAX_HELLO_BYTES, 64);
  w.u8(hello.version, "handshake.version");
  w.string(hello.clusterId, "handshake.clusterId");
  w.u32(hello.nodeId, "handshake.nodeId");
  return w.finish();
}

export function decodeHello(body: Uint8Array): Hello {
  const r = new ByteReader(body);
  const version = r.u8("handshake.version");
  const clusterId = r.string("handshake.clusterId");
  const nodeId = r.u32("handshake.nodeId");
  r.end("the handshake");
  return { version, clusterId, nodeId };
}

/** Why an ack does not come from the peer the dialer meant to reach, or null when it does. */
export function helloMismatch(hello: Hello, clusterId: string, expectedNodeId: NodeId): string | null {
  if (hello.version !== HANDSHAKE_VERSION) return `handshake version ${hello.version}, expected ${HANDSHAKE_VERSION}`;
  if (hello.clusterId !== clusterId) {
    return `cluster id ${JSON.stringify(hello.clusterId)}, expected ${JSON.stringify(clusterId)}`;
  }
  if (hello.nodeId !== expectedNodeId) return `node id ${hello.nodeId} answered, expected ${expectedNodeId}`;
  return null;
}

export function encodeRefusal(reason: string): Uint8Array {
  const w = new ByteWriter(2 + 4 * MAX_REASON_CHARS, 64);
  w.string(reason.slice(0, MAX_REASON_CHARS), "refusal.reason");
  return w.finish();
}

export function decodeRefusal(body: Uint8Array): string {
  const r = new ByteReader(body);
  const reason = r.string("refusal.reason");
  r.end("the refusal");
  return reason;
}
