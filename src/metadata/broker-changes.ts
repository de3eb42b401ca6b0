// What an applied change did to brokers, for the leader's background work that follows broker
// status (liveness timers, partition failover): the broker records of the entry, or "restored"
// when a snapshot replaced the whole image and everything must be looked at again.
import type { RegisterBrokerRecord, RegistrationChangeBrokerRecord } from "./records.ts";
import type { ImageChange } from "./state-machine.ts";

export type BrokerRecord = RegisterBrokerRecord | RegistrationChangeBrokerRecord;

/** Calls `onRecord` for each broker record of the change, or `onRestored` when a snapshot replaced the image. */
export function forEachBrokerChange(change: ImageChange, onRestored: () => void, onRecord: (record: BrokerRecord) => void): void {
  if (change.kind === "restored") {
    onRestored();
    return;
  }
  for (const record of change.records) {
    if (record.name === "RegisterBrokerRecord" || record.name === "RegistrationChangeBrokerRecord") onRecord(record);
  }
}
