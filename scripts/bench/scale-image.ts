// The in-process image the scale probes start from (restore-slices.ts, snapshot-slices.ts): 30
// brokers on 6 racks and topics of 100 partitions (RF 3), each created under a request id as the
// REST fill does, so the remembered requests weigh what they do on a filled node.
import { type Command, encodeCommand } from "../../src/metadata/commands.ts";
import type { MetadataStateMachine } from "../../src/metadata/state-machine.ts";

const T0 = "2026-11-24T00:00:00.000Z";
const BROKERS = 30;
const PER_TOPIC = 100;

/** Applies the brokers, then topics until `partitions` partitions exist. */
export function fillImage(sm: MetadataStateMachine, partitions: number): void {
  let index = 0;
  const apply = (c: Command) => {
    const result = sm.apply(++index, encodeCommand(c));
    if (!result.ok) throw new Error(`fill failed at entry ${index}: ${result.error.message}`);
  };
  for (let b = 1; b <= BROKERS; b++) {
    apply({ kind: "registerBroker", timestamp: T0, internalUUID: `00000000-0000-4000-8000-${String(b).padStart(12, "0")}`, brokerId: b, brokerHost: `host${b}`, brokerPort: "9092", securityProtocol: "PLAINTEXT", rackId: `rack${b % 6}` });
  }
  for (let t = 0; t * PER_TOPIC < partitions; t++) {
    const topicUUID = `10000000-0000-4000-8000-${String(t).padStart(12, "0")}`;
    apply({ kind: "createTopic", timestamp: T0, requestId: `k:fill-${t}`, requestHash: t.toString(16).padStart(32, "0"), topicUUID, name: `topic-${t}`, partitions: Math.min(PER_TOPIC, partitions - t * PER_TOPIC), replicationFactor: 3 });
  }
}
