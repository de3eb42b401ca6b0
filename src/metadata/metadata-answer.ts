// Builds the answer of a metadata fetch from the state machine, once since.ts decided its mode: a
// diff's records, or a frozen view of the image for a snapshot.
// BrokerMgmt gets every record; ClientMgmt only brokers, topics and partitions.
import { type Audience, FrozenImage } from "./frozen-image.ts";
import { CLIENT_RECORD_NAMES, type MetadataRecord } from "./records.ts";
import type { MetadataAnswer } from "./service-types.ts";
import type { SincePlan } from "./since.ts";
import type { MetadataStateMachine } from "./state-machine.ts";

export type { Audience };

const forClients = (r: MetadataRecord) => CLIENT_RECORD_NAMES.includes(r.name);

export function buildAnswer(sm: MetadataStateMachine, plan: SincePlan, offset: number, audience: Audience): MetadataAnswer {
  if (plan.mode === "diff") {
    return { mode: "diff", offset, records: sm.history.after(plan.after, audience === "client" ? forClients : undefined) };
  }
  // A capture is map copies: the answer may be written out long after, while commits go on.
  return { mode: "snapshot", offset, image: new FrozenImage(offset, audience, sm.image().capture()) };
}
