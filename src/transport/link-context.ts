// What every connection (outbound peer link or accepted inbound connection) shares with the
// transport that owns it.
import type { NodeId } from "../raft/types.ts";
import type { PeerTlsState } from "./peer-tls.ts";
import type { PeerCounters, TransportLimits } from "./transport-types.ts";

export type { PeerCounters };

export type LogFn = (event: string, fields: Record<string, unknown>) => void;

export interface LinkContext {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly limits: TransportLimits;
  readonly log: LogFn;
  readonly now: () => number;
  readonly random: () => number;
  /** The cluster's peer secret, or null when peers need not prove one. */
  readonly secret: Uint8Array | null;
  /** Peer mTLS, or null for plain TCP; its material is what new connections use. */
  readonly tls: PeerTlsState | null;
  /** Where the other nodes dial this one ("host:port", its own membership entry), "" for nowhere. */
  readonly advertised: () => string;
  /** The voters this node was first started with, ascending; empty when not known (handshake-codec.ts). */
  readonly founders: readonly NodeId[];
}

export function newCounters(): PeerCounters {
  return { sentFrames: 0, receivedFrames: 0, sentMessages: 0, receivedMessages: 0, drops: 0, droppedBytes: 0, reconnects: 0 };
}

/** Logs only the first error of a connection: a misbehaving peer must not flood the logs. */
export class OnceLog {
  private logged = false;

  constructor(private readonly log: LogFn) {}

  emit(event: string, fields: Record<string, unknown>): void {
    if (this.logged) return;
    this.logged = true;
    this.log(event, fields);
  }
}
