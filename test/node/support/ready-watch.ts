// Watches a RuntimeCluster leader's Readys as they leave: which messages the core handed out for
// followers other than `lagging` have not yet been given to the transport. Each answer from the
// lagging follower (`answer`) starts a read round, whose heartbeats go to every follower in the
// same Ready as what the leader sends the lagging one next: the Readys a test of send order needs,
// made every time rather than by luck. Reaches the runtime's private core and transport by name.
import type { Raft } from "../../../src/raft/index.ts";
import type { Message, MessageType, NodeId, Ready } from "../../../src/raft/types.ts";
import type { Transport } from "../../../src/transport/transport-types.ts";
import type { TestNode } from "./runtime-cluster.ts";

interface RuntimeInsides {
  raft: Raft;
  transport: Transport;
}

export class ReadyWatch {
  /** Messages to the other followers handed out by the core and not yet given to the transport. */
  readonly unsent = new Set<Message>();
  /** Readys that held messages to the lagging follower of `bulky` kind and to the others together. */
  mixedReadys = 0;
  private readonly rounds: Promise<void>[] = [];

  constructor(leader: TestNode, lagging: NodeId, answer: MessageType, bulky: (m: Message) => boolean) {
    const insides = leader.runtime as unknown as RuntimeInsides;
    const raft = insides.raft;
    const ready = raft.ready.bind(raft);
    raft.ready = (): Ready => {
      const rd = ready();
      const others = rd.messages.filter((m) => m.to !== lagging);
      if (others.length > 0 && rd.messages.some((m) => m.to === lagging && bulky(m))) this.mixedReadys++;
      for (const m of others) this.unsent.add(m);
      return rd;
    };
    const step = raft.step.bind(raft);
    raft.step = (m: Message) => {
      if (m.type === answer && m.from === lagging) this.rounds.push(leader.runtime.readBarrier());
      return step(m);
    };
    const transport = insides.transport;
    const send = transport.send.bind(transport);
    transport.send = (msgs: Message[]) => {
      this.onSend?.(msgs);
      for (const m of msgs) this.unsent.delete(m);
      send(msgs);
    };
  }

  /** Called with each batch given to the transport, before it is marked sent. */
  onSend: ((msgs: Message[]) => void) | null = null;

  /** The read rounds started, settled. */
  async settled(): Promise<void> {
    await Promise.all(this.rounds);
  }
}
