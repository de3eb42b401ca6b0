// Forwarding of opaque requests (client writes, broker heartbeats) from any node to the leader's
// registered handler, over the transport's request/reply channel. A node that is asked but is not
// the leader answers "not leader" with who it thinks leads; the caller then retries once there.
// A request waiting on a leader that this node learns has been replaced (it is paused, isolated or
// deposed) is not left to time out: it is sent again, at once, to the next leader. Sending a
// request twice is safe because what is forwarded is idempotent: writes carry request ids that
// the state machine applies once, and a heartbeat only refreshes a timer.
import type { NodeId } from "../raft/types.ts";
import { TransportError } from "../transport/errors.ts";
import { ConsensusTimeoutError, NoLeaderError, NotLeaderError, type Unsubscribe } from "./contracts.ts";
import { ForwardError } from "./errors.ts";
import { decodeForwardReply, decodeForwardRequest, encodeForwardReply, encodeForwardRequest } from "./forward-codec.ts";
import type { RuntimeMetrics } from "./metrics.ts";

export type ForwardHandler = (payload: Uint8Array, from: NodeId) => Promise<Uint8Array>;

export interface ForwarderDeps {
  nodeId: NodeId;
  isLeader(): boolean;
  leaderId(): NodeId;
  /** Resolves with the leader once one is known, or 0 after timeoutMs. */
  awaitLeader(timeoutMs: number): Promise<NodeId>;
  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Calls `listener` with the known leader (0 = none) each time it changes. */
  watchLeader(listener: (leader: NodeId) => void): Unsubscribe;
  /** Milliseconds from any origin, for the forward's deadline. */
  now(): number;
  /** Bound on a forwarded request, from the first send to the last answer, re-routes included. */
  timeoutMs: number;
  /** Bound on waiting for an election to produce a leader before forwarding. */
  leaderWaitMs: number;
  metrics: RuntimeMetrics;
}

/** One redirect after a "not leader" answer: enough for a leader change, no ping-pong. */
const MAX_REDIRECTS = 1;
/** Re-sends after the leader changed under a pending request: each needs a new election. */
const MAX_REROUTES = 3;

type SendOutcome = { kind: "reply"; reply: ReturnType<typeof decodeForwardReply> } | { kind: "moved"; leader: NodeId };

export class Forwarder {
  private handler: ForwardHandler | null = null;

  constructor(private readonly deps: ForwarderDeps) {}

  setHandler(handler: ForwardHandler): void {
    this.handler = handler;
  }

  async forward(payload: Uint8Array): Promise<Uint8Array> {
    const deadline = this.deps.now() + this.deps.timeoutMs;
    let hint: NodeId = 0;
    let redirects = 0;
    let reroutes = 0;
    for (;;) {
      const leader = hint || (await this.deps.awaitLeader(this.deps.leaderWaitMs));
      if (leader === 0) throw new NoLeaderError(`no leader elected within ${this.deps.leaderWaitMs} ms to forward to`);
      if (leader === this.deps.nodeId) return this.serveLocally(payload);
      const remaining = deadline - this.deps.now();
      if (remaining <= 0) throw new ConsensusTimeoutError(`forwarded request not answered within ${this.deps.timeoutMs} ms (${reroutes} re-routes)`);
      const outcome = await this.sendUnlessLeaderMoves(leader, payload, remaining);
      if (outcome.kind === "moved") {
        if (reroutes++ >= MAX_REROUTES) throw new NoLeaderError(`the leader changed ${reroutes} times while a forwarded request waited; retry`);
        this.deps.metrics.forwardsRerouted++;
        hint = outcome.leader;
        continue;
      }
      const reply = outcome.reply;
      if (reply.status === "ok") return reply.body;
      if (reply.status === "not_leader" && redirects++ < MAX_REDIRECTS) {
        hint = reply.leader === leader ? 0 : reply.leader;
        continue;
      }
      throw this.replyError(leader, reply);
    }
  }

  /** Serve a peer's request frame; never rejects (errors travel back inside the reply). */
  async serve(from: NodeId, frame: Uint8Array): Promise<Uint8Array> {
    let payload: Uint8Array;
    try {
      payload = decodeForwardRequest(frame);
    } catch (e) {
      return encodeForwardReply({ status: "handler_failed", message: (e as Error).message });
    }
    if (!this.deps.isLeader()) return encodeForwardReply({ status: "not_leader", leader: this.deps.leaderId() });
    if (!this.handler) return encodeForwardReply({ status: "no_handler" });
    try {
      const body = await this.handler(payload, from);
      this.deps.metrics.forwardsServed++;
      return encodeForwardReply({ status: "ok", body });
    } catch (e) {
      return encodeForwardReply({ status: "handler_failed", message: (e as Error).message ?? String(e) });
    }
  }

  private async serveLocally(payload: Uint8Array): Promise<Uint8Array> {
    if (!this.handler) throw new NoLeaderError("this node leads but its forward handler is not registered yet; retry");
    return this.handler(payload, this.deps.nodeId);
  }

  /**
   * The leader's reply, or "moved" as soon as this node learns of another leader (or of none): the
   * request is then abandoned (a late reply is dropped) and the caller sends it to the next one.
   */
  private sendUnlessLeaderMoves(leader: NodeId, payload: Uint8Array, timeoutMs: number): Promise<SendOutcome> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        stopWatching();
        finish();
      };
      const stopWatching = this.deps.watchLeader((now) => {
        if (now !== leader) settle(() => resolve({ kind: "moved", leader: now }));
      });
      this.send(leader, payload, timeoutMs).then(
        (reply) => settle(() => resolve({ kind: "reply", reply })),
        (error) => settle(() => reject(error)),
      );
    });
  }

  private async send(leader: NodeId, payload: Uint8Array, timeoutMs: number) {
    this.deps.metrics.forwardsSent++;
    try {
      return decodeForwardReply(await this.deps.request(leader, encodeForwardRequest(payload), timeoutMs));
    } catch (e) {
      this.deps.metrics.forwardsFailed++;
      throw mapTransportError(leader, e);
    }
  }

  private replyError(leader: NodeId, reply: ReturnType<typeof decodeForwardReply>): Error {
    this.deps.metrics.forwardsFailed++;
    switch (reply.status) {
      case "not_leader":
        return reply.leader ? new NotLeaderError(reply.leader) : new NoLeaderError(`node ${leader} no longer leads and knows no leader`);
      case "no_handler":
        return new NoLeaderError(`leader ${leader} is still starting (no forward handler); retry`);
      case "handler_failed":
        return new ForwardError(`leader ${leader} failed to serve the forwarded request: ${reply.message}`);
      default:
        return new ForwardError(`unexpected forward reply status ${reply.status} from ${leader}`);
    }
  }
}

function mapTransportError(leader: NodeId, e: unknown): Error {
  if (!(e instanceof TransportError)) return e instanceof Error ? e : new ForwardError(String(e));
  switch (e.code) {
    case "timeout":
      return new ConsensusTimeoutError(`leader ${leader} did not answer a forwarded request in time: ${e.message}`);
    case "unreachable":
    case "closed":
      return new NoLeaderError(`leader ${leader} is unreachable (${e.code}): ${e.message}`);
    default:
      return new ForwardError(`forwarding to leader ${leader} failed (${e.code}): ${e.message}`);
  }
}
