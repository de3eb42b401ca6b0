// A metadata service over the local consensus double with a manual clock and predictable ids;
// optionally a second node following the first, with its own state machine and service.
import { type MetadataServiceOptions, createMetadataService } from "../../src/metadata/service.ts";
import { MetadataStateMachine } from "../../src/metadata/state-machine.ts";
import { LocalConsensus } from "../support/local-consensus.ts";
import { ManualClock } from "../support/manual-clock.ts";

export type ServiceExtras = Partial<Omit<MetadataServiceOptions, "handle" | "stateMachine" | "clock">>;

export function nodeWith(clock: ManualClock, nodeId: number, leader: boolean, extras: ServiceExtras = {}) {
  const sm = new MetadataStateMachine();
  const handle = new LocalConsensus({ stateMachine: sm, clock, nodeId, startAsLeader: leader });
  let n = 0;
  const service = createMetadataService({ handle, stateMachine: sm, clock, newId: () => `n${nodeId}-id-${++n}`, ...extras });
  return { sm, handle, service };
}

export function single(extras: ServiceExtras = {}) {
  const clock = new ManualClock();
  return { clock, ...nodeWith(clock, 1, true, extras) };
}

export function pair(extras: ServiceExtras = {}) {
  const clock = new ManualClock();
  const leader = nodeWith(clock, 1, true, extras);
  const follower = nodeWith(clock, 2, false, extras);
  follower.handle.follow(leader.handle);
  return { clock, leader, follower };
}

export const broker = (brokerId: number, rackId = "r1") => ({ brokerId, brokerHost: `h${brokerId}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId });

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; status?: number }> {
  try {
    await p;
  } catch (error) {
    return error as Error & { code?: string; status?: number };
  }
  throw new Error("expected a rejection, but the promise resolved");
}
