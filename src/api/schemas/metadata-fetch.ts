// Request body of endpoint 10 (BrokerMgmt): the broker's id, where it is up to, and how long it
// is willing to wait for news.
import { type Static, Type } from "@sinclair/typebox";
import { MAX_WAIT_MS } from "../../metadata/limits.ts";
import { BrokerId, Since } from "./fields.ts";

export const WaitMs = Type.Integer({ minimum: 0, maximum: MAX_WAIT_MS, description: "long poll bound in ms" });

export const BrokerFetchBody = Type.Object(
  {
    brokerId: BrokerId,
    since: Type.Optional(Since),
    wait_ms: Type.Optional(WaitMs),
    wantShutdown: Type.Optional(Type.Boolean({ description: "controlled shutdown: answered once leadership has moved off the broker" })),
  },
  { additionalProperties: false },
);
export type BrokerFetchBody = Static<typeof BrokerFetchBody>;
