// What the simulator needs of the consensus core: the public surface of src/raft's Raft class.
// Runs take a factory so a bug-injection test can hand in a deliberately broken subclass.
import type { ConfChange, Message, NodeId, ProposeResult, RaftConfig, RaftStatus, Ready, RestoreState, Snapshot } from "../../src/raft/types.ts";

export interface RaftCore {
  tick(): void;
  step(m: Message): void;
  propose(data: Uint8Array): ProposeResult;
  proposeConfChange(cc: ConfChange): ProposeResult;
  readIndex(ctx: number): void;
  transferLeader(to: NodeId): void;
  campaign(): void;
  compact(snapshot: Snapshot): void;
  snapshotUnavailable(to: NodeId, index: number): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  status(): RaftStatus;
}

export type CoreFactory = (config: RaftConfig, restore: RestoreState) => RaftCore;
