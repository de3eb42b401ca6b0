// What an applied change did to brokers, for the leader's background work that follows broker
// status (liveness timers, partition failover): the broker records of the entry, or "restored"
// when a snapshot replaced the whole image and everything must be looked at again.
import type { RegisterBrokerRecord, RegistrationChangeBrokerRecord } from "./records.ts";
import type { ImageChange } from "./state-machine.ts";

export type BrokerRecord = RegisterBrokerRecord | RegistrationChangeBrokerRecord;

export function brokerChanges(change: ImageChange): readonly BrokerRecord[] | "restored" {
  if (change.kind === "restored") return "restored";
  return change.records.filter((r): r is BrokerRecord => r.name === "RegisterBrokerRecord" || r.name === "RegistrationChangeBrokerRecord");
}
