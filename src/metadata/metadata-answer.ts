// Builds the answer of a metadata fetch from the state machine, once since.ts decided its mode.
// BrokerMgmt gets every record; ClientMgmt only brokers, topics and partitions.
import { CLIENT_RECORD_NAMES, type MetadataRecord } from "./records.ts";
import type { MetadataAnswer } from "./service-types.ts";
import type { SincePlan } from "./since.ts";
import type { MetadataStateMachine } from "./state-machine.ts";

export type Audience = "broker" | "client";

const forClients = (r: MetadataRecord) => CLIENT_RECORD_NAMES.includes(r.name);

export function buildAnswer(sm: MetadataStateMachine, plan: SincePlan, offset: number, audience: Audience): MetadataAnswer {
  if (plan.mode === "diff") {
    return { mode: "diff", offset, records: sm.history.after(plan.after, audience === "client" ? forClients : undefined) };
  }
  const body = sm.image().body();
  return { mode: "snapshot", offset, snapshot: audience === "client" ? { ...body, producers: [] } : body };
}
